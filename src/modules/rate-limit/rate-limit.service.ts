import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { getStorageToken, normalizeIp, ThrottlerStorage } from '@nestjs/throttler';
import { FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { AUDIT_RECORDER, AuditRecorder } from '../audit/audit.types';
import { bearerToken } from '../auth/guards/authentication.guard';
import { SessionRegistry } from '../auth/session-registry';
import { TokenService } from '../auth/token.service';
import { Principal } from '../../common/request-context/request-context';
import { FailoverThrottlerStorage } from './failover-throttler.storage';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RateLimitRule } from './rate-limit-rules';
import { RateLimitRecord } from './fixed-window';
import { MetricsService } from '../metrics/metrics.service';
import { MetricsSources } from '../metrics/metrics-sources';

/** Statistics for /metrics and the detailed /api/metrics. */
export interface RateLimitStats {
  /** Where counters live right now: `memory` without REDIS_URL, or while Redis is unreachable. */
  storage: 'redis' | 'memory';
  /** True when REDIS_URL is set but Redis is not in use (per-instance limits). */
  degraded: boolean;
  /** Keys in the in-process store (the fallback's, in Redis mode; Redis keys expire by themselves). */
  keys: number;
  /** Requests refused with 429 since start. */
  rejections: number;
  /** Hits counted in process because Redis was unreachable. */
  fallbackHits: number;
  /** Redis calls that failed or timed out. */
  redisFailures: number;
}

/** A client address as a rate-limit key part: IPv6 clients are limited per /64 (they usually own the whole subnet). */
const MAX_TRACKER_LENGTH = 64;
export function trackerOf(ip: string): string {
  const tracker = ip.includes(':') ? normalizeIp(ip) : ip;
  return tracker.length > MAX_TRACKER_LENGTH ? tracker.slice(0, MAX_TRACKER_LENGTH) : tracker;
}

/**
 * Counts hits against the rules through the configured ThrottlerStorage and
 * reports refusals to the audit log, at most once per client, rule and
 * window (the storage says which refusal is the first).
 */
@Injectable()
export class RateLimitService implements OnModuleInit {
  private rejections = 0;

  constructor(
    @Inject(getStorageToken()) private readonly storage: ThrottlerStorage,
    private readonly memory: MemoryThrottlerStorage,
    @Inject(AUDIT_RECORDER) private readonly audit: AuditRecorder,
    private readonly tokens: TokenService,
    private readonly sessions: SessionRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly metricsSources: MetricsSources,
  ) {}

  onModuleInit(): void {
    this.metricsSources.register('rateLimiter', () => this.stats());
  }

  get enabled(): boolean {
    return this.config.RATE_LIMIT_ENABLED;
  }

  /**
   * Counts one hit. Through the ThrottlerStorage interface (a promise), except
   * when the in-process store serves alone: then synchronously, which spares
   * the hottest path its promises (the store is the same either way).
   */
  hit(rule: RateLimitRule, ip: string): RateLimitRecord | Promise<RateLimitRecord> {
    const key = `${rule.id}:${trackerOf(ip)}`;
    if (this.storage === this.memory) return this.memory.hit(key, rule.windowMs, rule.limit);
    return this.storage.increment(key, rule.windowMs, rule.limit, rule.windowMs, 'default') as Promise<RateLimitRecord>;
  }

  /** Counts a refusal and, for the first of its window, records RATE_LIMIT_EXCEEDED. */
  refused(rule: RateLimitRule, record: RateLimitRecord, request: FastifyRequest): void {
    this.rejections++;
    this.metrics.rateLimitRejections.inc({ pattern: rule.pattern });
    if (!record.firstRefusalInWindow) return;
    const queryAt = request.url.indexOf('?');
    const event = {
      type: 'RATE_LIMIT_EXCEEDED' as const,
      resourceType: 'rate-limit',
      resourceId: rule.pattern,
      outcome: 'failure' as const,
      metadata: {
        pattern: rule.pattern,
        limit: rule.limit,
        windowSeconds: rule.windowMs / 1000,
        method: request.method,
        path: queryAt === -1 ? request.url : request.url.slice(0, queryAt),
      },
    };
    const write = (principal: Principal | null) =>
      this.audit.record({ ...event, tenantId: principal?.tenantId ?? null, userId: principal?.userId ?? null });
    const principal = this.validPrincipal(request);
    if (principal instanceof Promise) void principal.then(write, () => write(null));
    else write(principal);
  }

  stats(): RateLimitStats {
    const failover = this.storage instanceof FailoverThrottlerStorage ? this.storage : null;
    return {
      storage: this.mode(),
      degraded: !!failover && !failover.usingRedis,
      keys: this.memory.size,
      rejections: this.rejections,
      fallbackHits: failover?.fallbackHits ?? 0,
      redisFailures: failover?.redisFailures ?? 0,
    };
  }

  mode(): 'redis' | 'memory' {
    return this.storage instanceof FailoverThrottlerStorage && this.storage.usingRedis ? 'redis' : 'memory';
  }

  /**
   * The principal of the request's access token when its credentials are
   * valid: signed, unexpired and of a live session (a revoked token's tenant
   * does not get the event). Only for the first refusal of a window.
   */
  private validPrincipal(request: FastifyRequest): Principal | null | Promise<Principal | null> {
    const token = bearerToken(request);
    if (!token) return null;
    let principal: Principal;
    try {
      principal = this.tokens.verifyAccessToken(token);
    } catch {
      return null;
    }
    // Synchronous when the session's state is cached (the common case), like the authentication guard.
    const active = this.sessions.isActive(principal.tenantId, principal.sessionId);
    if (active instanceof Promise) return active.then((live) => (live ? principal : null));
    return active ? principal : null;
  }
}
