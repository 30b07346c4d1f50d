import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { poolStats } from './database-stats';

/** Route label of requests no route matched (404s of scanners): one series, whatever the URL. */
export const UNMATCHED_ROUTE = 'unmatched';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus side of the service, served at `GET /metrics`. Each
 * application instance owns its own Registry (several instances in one test
 * process do not clash). Labels stay bounded: the route *template* (never the
 * raw URL), a fixed method set and the status code.
 *
 * Other modules count their events through the public counters:
 * `metrics.rateLimitRejections.inc({ pattern: '/api/auth/*' })`,
 * `metrics.idempotentReplays.inc()`.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnModuleDestroy {
  readonly registry = new Registry();

  private readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request received to response sent, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  /** Requests refused with 429; `pattern` is the limited path pattern (e.g. `/api/auth/*`). */
  readonly rateLimitRejections = new Counter({
    name: 'rate_limit_rejections_total',
    help: 'Requests refused with 429 RATE_LIMITED, by path pattern',
    labelNames: ['pattern'] as const,
    registers: [this.registry],
  });

  /** Answers replayed from an Idempotency-Key record (header Idempotent-Replayed: true). */
  readonly idempotentReplays = new Counter({
    name: 'idempotent_replays_total',
    help: 'Money-moving requests answered from their idempotency record instead of running again',
    registers: [this.registry],
  });

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
  ) {
    collectDefaultMetrics({ register: this.registry });
    this.registerRequestCounter();
    this.registerAuditMetrics();
    this.registerPoolMetrics();
  }

  /** Runs before Fastify is ready, so the hook applies to every route. */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      this.observe(request, reply);
      done();
    });
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }

  /** The text exposition of every metric, collected now. */
  async scrape(): Promise<string> {
    // prom-client writes NaN as "Nan" (e.g. the event-loop lag before its first sample);
    // the format says "NaN", and stricter parsers than Prometheus's own refuse anything else.
    return (await this.registry.metrics()).replace(/ Nan$/gm, ' NaN');
  }

  private observe(request: FastifyRequest, reply: FastifyReply): void {
    const labels = {
      method: METHODS.has(request.method) ? request.method : 'OTHER',
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status: String(reply.statusCode),
    };
    this.httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
  }

  /**
   * `http_requests_total` is the histogram's `_count` under the name
   * dashboards expect: read from it at scrape time rather than counted a
   * second time on every answer (a second label hash per request, ~2 % of a
   * liveness answer).
   */
  private registerRequestCounter(): void {
    const duration = this.httpRequestDuration;
    new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const sample of (await duration.get()).values) {
          if (sample.metricName === 'http_request_duration_seconds_count') this.inc(sample.labels, sample.value);
        }
      },
    });
  }

  /** Read from the audit buffer at scrape time: nothing to keep in step. */
  private registerAuditMetrics(): void {
    const audit = this.audit;
    new Gauge({
      name: 'audit_buffered_events',
      help: 'Audit events waiting in this instance’s buffer to be written',
      registers: [this.registry],
      collect() {
        this.set(audit.stats().buffered);
      },
    });
    const counterFromStats = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    counterFromStats('audit_flushed_events_total', 'Buffered audit events written to the database', () => audit.stats().flushed);
    counterFromStats('audit_dropped_events_total', 'Buffered audit events dropped because the buffer was full', () => audit.stats().dropped);
  }

  private registerPoolMetrics(): void {
    const dataSource = this.dataSource;
    const gauge = (name: string, help: string, read: (stats: NonNullable<ReturnType<typeof poolStats>>) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const stats = poolStats(dataSource);
          if (stats) this.set(read(stats));
        },
      });
    gauge('db_pool_connections_in_use', 'Database connections checked out of the pool', (s) => s.inUse);
    gauge('db_pool_connections_idle', 'Open database connections waiting in the pool', (s) => s.idle);
    gauge('db_pool_requests_waiting', 'Queries waiting for a database connection', (s) => s.waiting);
    gauge('db_pool_connections_max', 'Largest number of connections the pool opens', (s) => s.max);
  }
}
