import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedMaintenance } from '../../src/database/embedded-maintenance';
import { createFundedWallet } from '../support/commerce';
import { queryAsOwner } from '../support/db';
import { createTenant, createUser } from '../support/factories';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';
import { postIdempotent } from '../support/wallets';

/**
 * The embedded database runs no autovacuum worker: without the service's own
 * maintenance its planner statistics stay those of empty tables and dead
 * rows pile up, and the soak suite measured writes getting 60-80% slower
 * within ten minutes (an ANALYZE brought them back).
 */
describe('maintenance of the planner statistics and dead rows', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const tableStats = async (table: string) =>
    (
      await queryAsOwner<{ analyzed: boolean; vacuumed: boolean; reltuples: number; live: number; dead: number }>(
        t,
        `SELECT (s.last_analyze IS NOT NULL OR s.last_autoanalyze IS NOT NULL) AS analyzed,
                (s.last_vacuum IS NOT NULL OR s.last_autovacuum IS NOT NULL) AS vacuumed,
                c.reltuples::int AS reltuples, s.n_live_tup::int AS live, s.n_dead_tup::int AS dead
           FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = $1`,
        [table],
      )
    )[0];

  if (process.env.DATABASE_URL) {
    it('is left to autovacuum on PostgreSQL', () => {
      expect(t.app.get(EmbeddedMaintenance).enabled).toBe(false);
    });
  } else {
    it('analyzes the tables that changed enough (vacuuming those with enough dead rows), as autovacuum would', async () => {
      const tenant = await createTenant(t.http);
      const member = await createUser(t.http, tenant);
      const wallet = await createFundedWallet(t, tenant, member, 'EUR', 0);
      for (let i = 0; i < 120; i++) {
        expect((await postIdempotent(t, `/api/wallets/${wallet}/credit`, { amount: 1 }, tenant.admin.token)).status).toBe(201);
      }
      // Never analyzed: the planner does not know how many rows there are (-1).
      expect(await tableStats('ledger_entries')).toEqual(expect.objectContaining({ analyzed: false, reltuples: -1 }));

      const maintenance = t.app.get(EmbeddedMaintenance);
      expect(maintenance.enabled).toBe(true);
      const done = await maintenance.runOnce();
      expect(done).toEqual(expect.arrayContaining(['idempotency_keys', 'ledger_entries', 'audit_logs']));

      for (const table of ['idempotency_keys', 'ledger_entries', 'audit_logs']) {
        const stats = await tableStats(table);
        // Analyzed: the planner now knows the table's size.
        expect({ table, analyzed: stats.analyzed, reltuples: stats.reltuples }).toEqual({ table, analyzed: true, reltuples: stats.live });
      }

      // The service still serves as the restricted role: row-level security applies.
      const [{ role }] = await t.dataSource.query('SELECT current_user AS role');
      expect(role).toBe('saas_app');
      expect((await t.http.get(`/api/wallets/${wallet}`, { token: member.token })).body.balance).toBe(120);
      // Nothing changed since: nothing to do.
      expect(await maintenance.runOnce()).toEqual([]);
    });
  }

  if (!process.env.DATABASE_URL) {
    it('counts the rows again after a restart, which PGlite’s statistics do not survive', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'saas-core-restart-'));
      try {
        const first = await startTestApp({ PGLITE_DATA_DIR: dir });
        for (let i = 0; i < 3; i++) await createTenant(first.http);
        await first.close();

        const second = await startTestApp({ PGLITE_DATA_DIR: dir });
        try {
          expect(await second.app.get(EmbeddedMaintenance).statisticsRestored).toEqual(expect.arrayContaining(['tenants', 'users']));
          const metrics = await second.http.get('/api/metrics?detailed=true', { token: PLATFORM_TOKEN });
          expect(metrics.body.database.records).toMatchObject({ tenants: 3, users: 3 });
        } finally {
          await second.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
