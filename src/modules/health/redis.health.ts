import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';

/**
 * Redis is optional: when it is down the service keeps serving (rate limits
 * fall back to the in-process store), so the indicator reports `degraded`,
 * which keeps readiness at 200 and says why.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  async check(key = 'redis') {
    const session = this.indicators.check(key);
    if (!this.redis) return session.up({ message: 'not configured' });
    const started = Date.now();
    try {
      await this.redis.ping();
      return session.up({ latency: Date.now() - started });
    } catch (error) {
      return session.degraded({ message: (error as Error).message });
    }
  }
}
