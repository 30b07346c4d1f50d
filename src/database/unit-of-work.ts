import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, ReplicationMode } from 'typeorm';
import { isRetryableTransactionError } from './database-errors';

const MAX_ATTEMPTS = 6;

/** A transaction handle: parameterized SQL only, inside one database transaction. */
export interface Tx {
  query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]>;
  /** Runs `callback` once the transaction has committed (never if it rolls back). */
  afterCommit(callback: () => void): void;
}

/**
 * The only way services reach the database. Each unit of work is one
 * transaction that starts by setting `app.tenant_id` for that transaction
 * alone (`set_config(..., true)`), so row-level security scopes every query
 * in it and no setting survives on a pooled connection. Serialization
 * failures and deadlocks are retried with jittered backoff, never shown.
 */
@Injectable()
export class UnitOfWork {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` scoped to one tenant, on the primary. */
  forTenant<T>(tenantId: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(work, "SELECT set_config('app.tenant_id', $1, true)", [tenantId], 'master');
  }

  /**
   * Runs read-only `work` scoped to one tenant on a read replica when
   * DATABASE_REPLICA_URLS names any (the primary otherwise). For list
   * endpoints, which may lag the primary by the replication delay; a read
   * that must see the caller's own latest write uses {@link forTenant}.
   */
  readForTenant<T>(tenantId: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(work, "SELECT set_config('app.tenant_id', $1, true)", [tenantId], 'slave');
  }

  /**
   * Runs `work` with no tenant: tenant-owned tables show no row. With
   * `platform`, the few policies that allow it (the audit log) show every
   * tenant's rows: for the platform operator's endpoints only.
   */
  withoutTenant<T>(work: (tx: Tx) => Promise<T>, options: { platform?: boolean } = {}): Promise<T> {
    return options.platform
      ? this.run(work, "SELECT set_config('app.platform', 'on', true)", [], 'master')
      : this.run(work, "SELECT set_config('app.tenant_id', '', true)", [], 'master');
  }

  private async run<T>(work: (tx: Tx) => Promise<T>, setup: string, parameters: unknown[], mode: ReplicationMode): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const runner = this.dataSource.createQueryRunner(mode);
      const committed: Array<() => void> = [];
      try {
        await runner.startTransaction();
        await runner.query(setup, parameters);
        const result = await work({
          // The structured result: TypeORM's plain query() answers UPDATE/DELETE as [rows, count].
          query: async (sql, params) => (await runner.query(sql, params, true)).records,
          afterCommit: (callback) => committed.push(callback),
        });
        await runner.commitTransaction();
        for (const callback of committed) callback();
        return result;
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
        await sleep(Math.random() * 10 * 2 ** attempt);
      } finally {
        await runner.release();
      }
    }
  }
}
