import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { isRetryableTransactionError } from './database-errors';
import { statementName } from './statement-names';
import { TenantReadQuery } from './tenant-read-query';

const MAX_ATTEMPTS = 6;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A transaction handle: one statement per call, inside one database
 * transaction. Every statement is prepared under its {@link statementName},
 * so `sql` is one of a fixed set of texts with every value a parameter.
 */
export interface Tx {
  query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]>;
  /**
   * Runs `callback` in this transaction once the work is done, just before
   * COMMIT (in the order registered; a failure rolls everything back). For
   * writes that lock a row every transaction of a tenant needs: taken last,
   * the lock is held for the commit only, not for the rest of the work.
   */
  beforeCommit(callback: () => Promise<unknown>): void;
  /** Runs `callback` once the transaction has committed (never if it rolls back). */
  afterCommit(callback: () => void): void;
}

/**
 * The only way services reach the database. Each unit of work is one
 * transaction that starts by setting `app.tenant_id` for that transaction
 * alone (`set_config(..., true)`), so row-level security scopes every query
 * in it and no setting survives on a pooled connection. Serialization
 * failures and deadlocks are retried with jittered backoff, never shown.
 *
 * It drives the pg pools that TypeORM opened directly: `BEGIN` and the
 * tenant setting travel in one round trip, every statement is planned once
 * per connection, and no ORM layer sits on the per-query path.
 */
@Injectable()
export class UnitOfWork {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` scoped to one tenant, on the primary. */
  forTenant<T>(tenantId: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(work, tenantSetup(tenantId), this.primary());
  }

  /**
   * Runs read-only `work` scoped to one tenant on a read replica when
   * DATABASE_REPLICA_URLS names any (the primary otherwise). For list
   * endpoints, which may lag the primary by the replication delay; a read
   * that must see the caller's own latest write uses {@link forTenant}.
   */
  readForTenant<T>(tenantId: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(work, `${tenantSetup(tenantId)}; SET TRANSACTION READ ONLY`, this.replica());
  }

  /**
   * One read-only statement scoped to one tenant, in one round trip instead
   * of three, and planned once per pooled connection instead of on every
   * call: the tenant setting and the statement travel together and run as
   * one implicit transaction (see {@link TenantReadQuery}), so the
   * transaction-local settings (the tenant, and read-only) hold for the
   * statement and end with it, and row-level security applies exactly as in
   * {@link forTenant}. `sql` must be one of a fixed set of texts, with every
   * value a parameter. On a read replica when there is one, unless `primary`
   * (a read that must see the caller's own latest write).
   */
  async readOnce<T = Record<string, unknown>>(tenantId: string, sql: string, params: unknown[] = [], options: { primary?: boolean } = {}): Promise<T[]> {
    const read = new TenantReadQuery<T>(checkedTenantId(tenantId), sql, params);
    return this.onConnection(options.primary ? this.primary() : this.replica(), (client) => {
      client.query(read);
      return read.done;
    });
  }

  /**
   * Runs `work` with no tenant: tenant-owned tables show no row. With
   * `platform`, the few policies that allow it (the audit log) show every
   * tenant's rows: for the platform operator's endpoints only.
   */
  withoutTenant<T>(work: (tx: Tx) => Promise<T>, options: { platform?: boolean } = {}): Promise<T> {
    const setup = options.platform ? "SELECT set_config('app.platform', 'on', true)" : tenantSetup('');
    return this.run(work, setup, this.primary());
  }

  private primary(): Pool {
    return (this.dataSource.driver as PostgresDriver).master;
  }

  private replica(): Pool {
    const { slaves } = this.dataSource.driver as PostgresDriver;
    return slaves.length ? slaves[Math.floor(Math.random() * slaves.length)] : this.primary();
  }

  private async run<T>(work: (tx: Tx) => Promise<T>, setup: string, pool: Pool): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.onConnection(pool, async (client) => {
          const beforeCommit: Array<() => Promise<unknown>> = [];
          const committed: Array<() => void> = [];
          await client.query(`BEGIN; ${setup}`);
          const result = await work({
            query: async (sql, params) => (await client.query({ name: statementName(sql), text: sql, values: params })).rows,
            beforeCommit: (callback) => beforeCommit.push(callback),
            afterCommit: (callback) => committed.push(callback),
          });
          for (const callback of beforeCommit) await callback();
          await client.query('COMMIT');
          for (const callback of committed) callback();
          return result;
        });
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
        await sleep(Math.random() * 10 * 2 ** attempt);
      }
    }
  }

  /**
   * Runs `transaction` on a pooled connection and hands it back; on failure
   * rolls back first, and a connection that cannot even do that is discarded,
   * not pooled.
   */
  private async onConnection<T>(pool: Pool, transaction: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      return await transaction(client);
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/**
 * A tenant id is a UUID, or empty for no tenant: {@link tenantSetup} inlines
 * it (a simple-protocol message takes no parameters), and the policies cast
 * the setting to uuid.
 */
function checkedTenantId(tenantId: string): string {
  if (tenantId !== '' && !UUID.test(tenantId)) throw new Error('tenant id must be a UUID');
  return tenantId;
}

function tenantSetup(tenantId: string): string {
  return `SELECT set_config('app.tenant_id', '${checkedTenantId(tenantId)}', true)`;
}
