import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { AppConfig } from '../../config/app-config';

/** Injection token of the shared ioredis client, or `null` when REDIS_URL is unset. */
export const REDIS = Symbol('REDIS');

/**
 * Fails fast instead of stalling: no offline queue (a command sent while
 * disconnected errors at once), one retry per command, short timeouts, and
 * reconnection in the background so the client comes back by itself.
 * `overrides` lets a caller tighten these for its own connection.
 */
export function createRedisClient(url: string, name: string, overrides: RedisOptions = {}): Redis {
  const logger = new Logger(`Redis:${name}`);
  const client = new Redis(url, {
    connectionName: `saas-core:${name}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    ...overrides,
  });
  let reported = false;
  client.on('error', (error) => {
    if (!reported) logger.warn(`connection problem: ${error.message}`);
    reported = true;
  });
  client.on('ready', () => {
    if (reported) logger.log('connection restored');
    reported = false;
  });
  return client;
}

class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}

@Global()
@Module({})
export class RedisModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        { provide: REDIS, useFactory: () => (config.REDIS_URL ? createRedisClient(config.REDIS_URL, 'main') : null) },
        RedisLifecycle,
      ],
      exports: [REDIS],
    };
  }
}
