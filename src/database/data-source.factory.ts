import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig, unusableDataDir } from '../config/app-config';
import { MIGRATIONS } from './migrations';
import { servingClientClass } from './serving-pg-client';

/**
 * How long a request may wait for a pooled connection (queueing and
 * connecting) before it is answered 503: under 5 s with the request's own work.
 */
export const CONNECT_TIMEOUT_MS = 4000;

const common = {
  type: 'postgres' as const,
  migrations: MIGRATIONS,
  migrationsTableName: 'schema_migrations',
  synchronize: false,
  logging: false,
  installExtensions: false,
};

/** Opens the embedded PostgreSQL (PGlite): a folder, or `memory://`. */
export async function openPglite(dataDir: string): Promise<PGlite> {
  if (!dataDir.startsWith('memory://')) {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      throw unusableDataDir(dataDir, error);
    }
  }
  return PGlite.create(dataDir);
}

/** PGlite is one session: the pool holds exactly one client bound to it. */
export function pgliteDataSourceOptions(pglite: PGlite): DataSourceOptions {
  const { connection } = createPgConfig(pglite);
  return {
    ...common,
    poolSize: 1,
    connectTimeoutMS: 30_000,
    extra: { connection, max: 1, connectionTimeoutMillis: 30_000 },
  };
}

/**
 * Real PostgreSQL. `role` switches every pooled connection to the application
 * role at connect time (a startup parameter, so no extra round trip).
 */
export function postgresDataSourceOptions(
  config: AppConfig,
  url: string,
  options: { role?: string; poolSize?: number } = {},
): DataSourceOptions {
  // The pool that serves requests (not the one-connection migration pool, whose statements may run long).
  const serving = options.poolSize === undefined;
  const extra = {
    max: options.poolSize ?? config.DATABASE_POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    // Notices a peer that vanished (host down, partition) on idle connections too.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(options.role ? { options: `-c role=${options.role}` } : {}),
    ...(serving ? { Client: servingClientClass(config.DATABASE_QUERY_TIMEOUT_MS) } : {}),
  };
  if (config.DATABASE_REPLICA_URLS.length > 0 && serving) {
    return {
      ...common,
      extra,
      replication: { master: { url }, slaves: config.DATABASE_REPLICA_URLS.map((replica) => ({ url: replica })) },
    };
  }
  return { ...common, url, extra };
}

export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  return new DataSource(options).initialize();
}
