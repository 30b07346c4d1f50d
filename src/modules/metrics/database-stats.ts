import { DataSource } from 'typeorm';

export interface PoolStats {
  /** Connections open (in use + idle). */
  total: number;
  inUse: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
  max: number;
}

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

/** The pg Pool behind TypeORM's postgres driver (the primary one with replicas); PGlite's has one client. */
export function poolStats(dataSource: DataSource): PoolStats | null {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool) return null;
  return {
    total: pool.totalCount,
    inUse: pool.totalCount - pool.idleCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
    max: pool.options?.max ?? 0,
  };
}

/**
 * Rows per table of the public schema, from PostgreSQL's statistics rather
 * than `count(*)`: cheap on any size, and readable by the application role,
 * which row-level security would otherwise limit to one tenant's rows.
 * `n_live_tup` is kept current by every insert and delete (it lags by the
 * statistics flush, a few seconds); after a statistics reset it reads 0 until
 * the next ANALYZE, so the planner's `reltuples` is used when it knows more.
 */
export async function estimateRecordCounts(dataSource: DataSource): Promise<Record<string, number>> {
  const rows: Array<{ table: string; rows: string | number }> = await dataSource.query(
    `SELECT c.relname AS table,
            CASE WHEN s.n_live_tup > 0 OR c.reltuples <= 0 THEN coalesce(s.n_live_tup, 0)
                 ELSE c.reltuples::bigint END AS rows
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE n.nspname = 'public' AND c.relkind = 'r'
      ORDER BY c.relname`,
  );
  return Object.fromEntries(rows.map((row) => [row.table, Number(row.rows)]));
}
