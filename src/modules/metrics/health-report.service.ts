import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { getHeapStatistics } from 'node:v8';
import { DataSource } from 'typeorm';
import { DatabaseState } from '../../database/database-state';
import { AuditService } from '../audit/audit.service';
import { REDIS } from '../redis/redis.module';
import { estimateRecordCounts, poolStats } from './database-stats';
import { MetricsSources } from './metrics-sources';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthCheck {
  name: string;
  status: HealthStatus;
  /** Round trip in milliseconds, for checks that talk to a dependency. */
  latency?: number;
  message?: string;
}

export interface HealthReport {
  status: HealthStatus;
  timestamp: string;
  uptime: number;
  checks: HealthCheck[];
}

/** Same bound as the readiness probe's database ping. */
const PING_TIMEOUT_MS = 2000;
/** Past this share of the V8 heap limit, the instance is reported degraded. */
const HEAP_DEGRADED_RATIO = 0.9;
const MB = 1024 * 1024;

/**
 * Builds `GET /api/metrics`: the database must answer (else `unhealthy`);
 * Redis is optional (down: `degraded`, the service falls back to in-process
 * storage); memory is the V8 heap in use against the heap limit (down to
 * `degraded` above 90%). The detailed report adds the numbers operators look
 * at when one of those turns red.
 */
@Injectable()
export class HealthReportService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly databaseState: DatabaseState,
    private readonly audit: AuditService,
    private readonly sources: MetricsSources,
    @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  async summary(): Promise<HealthReport> {
    const checks = await Promise.all([this.checkDatabase(), this.checkMemory(), ...(this.redis ? [this.checkRedis(this.redis)] : [])]);
    const database = checks[0];
    const status: HealthStatus =
      database.status === 'unhealthy' ? 'unhealthy' : checks.some((c) => c.status !== 'healthy') ? 'degraded' : 'healthy';
    return { status, timestamp: new Date().toISOString(), uptime: Math.floor(process.uptime()), checks };
  }

  async detailed(): Promise<HealthReport & Record<string, unknown>> {
    const report = await this.summary();
    const heap = getHeapStatistics();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      ...report,
      memory: {
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        heapTotal: memory.heapTotal,
        heapLimit: heap.heap_size_limit,
        external: memory.external,
        arrayBuffers: memory.arrayBuffers,
      },
      rateLimiter: null,
      audit: this.audit.stats(),
      database: {
        embedded: this.databaseState.embedded,
        pool: poolStats(this.dataSource),
        records: report.status === 'unhealthy' ? null : await estimateRecordCounts(this.dataSource).catch(() => null),
      },
      process: {
        pid: process.pid,
        uptime: Math.floor(process.uptime()),
        nodeVersion: process.version,
        platform: process.platform,
        cpuUsage: { user: cpu.user, system: cpu.system },
      },
      ...(await this.sources.snapshot()),
    };
  }

  private async checkDatabase(): Promise<HealthCheck> {
    const started = performance.now();
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), PING_TIMEOUT_MS);
      return { name: 'database', status: 'healthy', latency: elapsedMs(started) };
    } catch (error) {
      return { name: 'database', status: 'unhealthy', latency: elapsedMs(started), message: unavailableMessage(error) };
    }
  }

  private async checkRedis(redis: Redis): Promise<HealthCheck> {
    const started = performance.now();
    try {
      await withTimeout(redis.ping(), PING_TIMEOUT_MS);
      return { name: 'redis', status: 'healthy', latency: elapsedMs(started) };
    } catch (error) {
      return { name: 'redis', status: 'unhealthy', latency: elapsedMs(started), message: unavailableMessage(error) };
    }
  }

  private async checkMemory(): Promise<HealthCheck> {
    const used = process.memoryUsage().heapUsed;
    const limit = getHeapStatistics().heap_size_limit;
    const ratio = used / limit;
    return {
      name: 'memory',
      status: ratio >= HEAP_DEGRADED_RATIO ? 'degraded' : 'healthy',
      message: `${Math.round(used / MB)}MB / ${Math.round(limit / MB)}MB (${Math.round(ratio * 100)}%)`,
    };
  }
}

const elapsedMs = (started: number) => Math.round((performance.now() - started) * 100) / 100;

/** A dependency's own error text may name hosts or SQL: say only what kind of failure it was. */
function unavailableMessage(error: unknown): string {
  return error instanceof TimeoutError ? `no answer within ${PING_TIMEOUT_MS} ms` : 'unreachable';
}

class TimeoutError extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
