import { Client } from 'pg';
import { APP_ROLE } from '../../src/database/app-role';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { loadConfig } from '../../src/config/app-config';
import { openOwnerDataSource } from '../../src/database/owner-data-source';
import { TestApp } from './test-app';

/** Runs SQL as the service does for a tenant: the application role, under row-level security. */
export function queryAsTenant<T = any>(t: TestApp, tenantId: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return t.app.get(UnitOfWork).forTenant(tenantId, (tx) => tx.query<T>(sql, params));
}

/**
 * Runs SQL as the database owner (a superuser): for tests that must get past
 * the application role's grants, e.g. to prove what the schema itself refuses.
 * On the embedded database the one session leaves the application role and
 * comes back; run it while no request is in flight.
 */
export async function queryAsOwner<T = any>(t: TestApp, sql: string, params: unknown[] = []): Promise<T[]> {
  if (t.databaseUrl) {
    const client = new Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const runner = t.dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('RESET ROLE');
    return await runner.query(sql, params);
  } finally {
    await runner.query(`SET ROLE ${APP_ROLE}`);
    await runner.release();
  }
}

/**
 * A unit of work as the database owner, for operator code (retention,
 * verification across tenants) that the service's own role may not run.
 */
export async function withOwnerUnitOfWork<T>(t: TestApp, work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
  if (t.databaseUrl) {
    const dataSource = await openOwnerDataSource(loadConfig({ DATABASE_URL: t.databaseUrl }));
    try {
      return await work(new UnitOfWork(dataSource));
    } finally {
      await dataSource.destroy();
    }
  }
  await t.dataSource.query('RESET ROLE');
  try {
    return await work(new UnitOfWork(t.dataSource));
  } finally {
    await t.dataSource.query(`SET ROLE ${APP_ROLE}`);
  }
}
