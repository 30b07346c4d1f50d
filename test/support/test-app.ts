import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { randomBytes } from 'node:crypto';
import { createApp } from '../../src/bootstrap';
import { loadConfig, AppConfig } from '../../src/config/app-config';
import { ensureJwtSecret } from '../../src/config/jwt-secret';
import { LifecycleState } from '../../src/modules/health/lifecycle-state';
import { HttpClient } from './http';
import { createTestDatabase } from './test-database';

export const PLATFORM_TOKEN = 'test-platform-admin-token-0123456789';

export interface TestApp {
  app: NestFastifyApplication;
  http: HttpClient;
  config: AppConfig;
  /** The service's own data source (queries run as the application role). */
  dataSource: DataSource;
  /** A privileged connection URL to the same database, when it is real PostgreSQL. */
  databaseUrl?: string;
  close(): Promise<void>;
}

/**
 * Boots the real AppModule over HTTP on a random port, on a fresh database:
 * embedded in memory by default, a new database on the real server when
 * DATABASE_URL is set. `env` overrides settings for this suite only.
 */
export async function startTestApp(env: Record<string, string> = {}, options: { databaseUrl?: string } = {}): Promise<TestApp> {
  // A given database is shared with other instances and outlives this one.
  const database = options.databaseUrl ? { url: options.databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const config = ensureJwtSecret(
    loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      PGLITE_DATA_DIR: 'memory://',
      PLATFORM_ADMIN_TOKEN: PLATFORM_TOKEN,
      JWT_SECRET: 'test-jwt-secret-0123456789-0123456789-abcdef',
      SEED_DEMO: 'false',
      PASSWORD_HASH_COST: '10',
      REDIS_URL: process.env.REDIS_URL,
      // Suites share one Redis in CI: each gets a keyspace of its own.
      REDIS_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}:`,
      // The limiter stays on (its headers are part of every answer) but out of the way;
      // the rate-limit suites set real limits.
      RATE_LIMIT_AUTH: '100000',
      RATE_LIMIT_WALLETS: '100000',
      RATE_LIMIT_CART: '100000',
      RATE_LIMIT_ORDERS: '100000',
      RATE_LIMIT_DEFAULT: '100000',
      DATABASE_URL: database.url,
      ...env,
    }),
  );
  const app = await createApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  app.get(LifecycleState).started = true;
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    config,
    http: new HttpClient(`http://127.0.0.1:${port}`),
    dataSource: app.get(DataSource),
    databaseUrl: database.url,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
