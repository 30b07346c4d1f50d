import { Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { getStorageToken, ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { createRedisClient } from '../redis/redis.module';
import { FailoverThrottlerStorage } from './failover-throttler.storage';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RateLimitRules } from './rate-limit-rules';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitHttpBinding } from './rate-limit.http';
import { RateLimitService } from './rate-limit.service';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { RouteThrottleMetadata } from './route-throttle-metadata';

/** The limiter's own Redis connection, or `null` without REDIS_URL. */
const RATE_LIMIT_REDIS = Symbol('RATE_LIMIT_REDIS');

/**
 * A hit must never wait long on Redis: a tight command timeout, and no
 * command retried or re-sent after a reconnection (a re-sent hit would be
 * counted twice). Hits of the same event-loop turn travel in one write
 * (auto-pipelining): one socket write per turn instead of one per request.
 * Its own connection, so these settings touch nothing else.
 */
const LIMITER_CONNECTION = {
  commandTimeout: 200,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  enableAutoPipelining: true,
};

/** Global, so that metrics can read `RateLimitService.stats()` without importing this module. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: RateLimitRules, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new RateLimitRules(config) },
    {
      provide: MemoryThrottlerStorage,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new MemoryThrottlerStorage({ sweepIntervalMs: Math.min(60_000, Math.max(1_000, config.RATE_LIMIT_WINDOW_SECONDS * 1000)) }),
    },
    {
      provide: RATE_LIMIT_REDIS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        config.REDIS_URL && config.RATE_LIMIT_ENABLED ? createRedisClient(config.REDIS_URL, 'rate-limit', LIMITER_CONNECTION) : null,
    },
    {
      provide: getStorageToken(),
      inject: [APP_CONFIG, RATE_LIMIT_REDIS, MemoryThrottlerStorage],
      useFactory: (config: AppConfig, redis: Redis | null, memory: MemoryThrottlerStorage): ThrottlerStorage =>
        redis ? new FailoverThrottlerStorage(redis, new RedisThrottlerStorage(redis, `${config.REDIS_KEY_PREFIX}rl:`), memory) : memory,
    },
    RouteThrottleMetadata,
    RateLimitService,
    RateLimitHttpBinding,
    RateLimitGuard,
  ],
  exports: [RateLimitService, RateLimitHttpBinding, RateLimitGuard, getStorageToken()],
})
export class RateLimitModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly memory: MemoryThrottlerStorage,
    @Inject(getStorageToken()) private readonly storage: ThrottlerStorage,
    @Inject(RATE_LIMIT_REDIS) private readonly redis: Redis | null,
  ) {}

  onModuleInit(): void {
    this.memory.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.memory.stop();
    if (this.storage instanceof FailoverThrottlerStorage) this.storage.stop();
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}
