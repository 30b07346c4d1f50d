import { Logger } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { RateLimitRecord } from './fixed-window';

/** After a failed or timed-out call on a connection that still looks up, Redis is left alone this long. */
const PAUSE_AFTER_FAILURE_MS = 1_000;

/**
 * Redis when it answers, the in-process store when it does not. The policy,
 * also in docs/RATE-LIMITING.md:
 * - no request waits on a dead connection: Redis is used only while its
 *   client is `ready`; a failed call (error, or the limiter connection's
 *   short command timeout) sends that hit to the in-process store and pauses
 *   Redis for a second, after which a single call probes it again;
 * - meanwhile limits hold per instance (the in-process counters), a warning
 *   is logged once per outage, and every hit served so is counted;
 * - when the client is ready again, hits go back to Redis; nothing is
 *   replayed, and the limiter's connection never re-sends a command after a
 *   reconnection, so no hit is counted twice in Redis.
 */
export class FailoverThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private pausedUntil = 0;
  private probing = false;
  private degraded = false;
  private stopping = false;
  /** Hits served by the in-process store because Redis was unreachable. */
  fallbackHits = 0;
  /** Redis calls that failed or timed out. */
  redisFailures = 0;

  constructor(
    private readonly client: Redis,
    private readonly redis: RedisThrottlerStorage,
    private readonly memory: MemoryThrottlerStorage,
    private readonly clock: () => number = Date.now,
  ) {
    client.on('ready', () => this.recovered());
    client.on('close', () => this.markDegraded('connection closed'));
  }

  /** True while hits go to Redis. */
  get usingRedis(): boolean {
    return !this.degraded && this.client.status === 'ready';
  }

  async increment(key: string, ttl: number, limit: number): Promise<RateLimitRecord> {
    if (this.mayUseRedis()) {
      try {
        const record = await this.redis.increment(key, ttl, limit);
        if (this.probing || this.degraded) this.recovered();
        return record;
      } catch (error) {
        this.failed(error as Error);
      }
    }
    this.fallbackHits++;
    return this.memory.hit(key, ttl, limit);
  }

  private mayUseRedis(): boolean {
    if (this.client.status !== 'ready') {
      this.markDegraded(`client ${this.client.status}`);
      return false;
    }
    if (this.pausedUntil === 0) return true;
    if (this.probing || this.clock() < this.pausedUntil) return false;
    this.probing = true;
    return true;
  }

  private failed(error: Error): void {
    this.redisFailures++;
    this.probing = false;
    this.pausedUntil = this.clock() + PAUSE_AFTER_FAILURE_MS;
    this.markDegraded(error.message);
  }

  /** At shutdown: the connection is closing on purpose, nothing to warn about. */
  stop(): void {
    this.stopping = true;
  }

  private markDegraded(reason: string): void {
    if (this.degraded || this.stopping) return;
    this.degraded = true;
    this.logger.warn(`Redis unreachable (${reason}): rate limits fall back to per-instance counters until it is back`);
  }

  private recovered(): void {
    this.pausedUntil = 0;
    this.probing = false;
    if (!this.degraded) return;
    this.degraded = false;
    this.logger.log('Redis reachable again: rate limits are shared across instances again');
  }
}
