import { Client } from 'pg';
import { APP_ROLE } from '../../src/database/app-role';
import { TestApp } from './test-app';

/**
 * Runs SQL as the database owner, bypassing row-level security: for tests
 * that tamper with rows or inspect every tenant. On real PostgreSQL it opens
 * a connection of its own; the embedded database has one session, which is
 * lifted out of the application role for the duration.
 */
export async function asOwner<T>(t: TestApp, work: (query: (sql: string, params?: unknown[]) => Promise<any[]>) => Promise<T>): Promise<T> {
  if (t.databaseUrl) {
    const client = new Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      return await work(async (sql, params) => (await client.query(sql, params as unknown[])).rows);
    } finally {
      await client.end();
    }
  }
  const runner = t.dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('RESET ROLE');
    return await work((sql, params) => runner.query(sql, params as unknown[]));
  } finally {
    await runner.query(`SET ROLE ${APP_ROLE}`);
    await runner.release();
  }
}
