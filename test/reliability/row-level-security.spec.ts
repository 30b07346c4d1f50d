import { APP_ROLE } from '../../src/database/app-role';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { startTestApp, TestApp } from '../support/test-app';
import { createTenant, createUser, TestTenant } from '../support/factories';
import { queryAsOwner } from '../support/db';

/**
 * The second wall: even a query that forgets its WHERE clause cannot see or
 * touch another tenant's rows, because the service's own connection runs as
 * a role under forced row-level security.
 */
describe('row-level security in the database', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let uow: UnitOfWork;
  let tenantTables: string[];

  beforeAll(async () => {
    t = await startTestApp();
    a = await createTenant(t.http);
    b = await createTenant(t.http);
    await createUser(t.http, a);
    await createUser(t.http, b);
    uow = t.app.get(UnitOfWork);
    const rows = await t.dataSource.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c.oid AND attname = 'tenant_id' AND NOT attisdropped)
        ORDER BY 1`,
    );
    tenantTables = rows.map((r: { relname: string }) => r.relname);
  });
  afterAll(() => t.close());

  it('serves requests as the restricted application role', async () => {
    const [role] = await t.dataSource.query(
      `SELECT current_user AS name, r.rolsuper, r.rolbypassrls,
              (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user) AS owned
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(role).toEqual({ name: APP_ROLE, rolsuper: false, rolbypassrls: false, owned: 0 });
  });

  it('has forced RLS and a policy on every table that holds tenant_id', async () => {
    expect(tenantTables).toEqual(expect.arrayContaining(['users', 'sessions', 'refresh_tokens', 'audit_logs']));
    const rows = await t.dataSource.query(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
              (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
         FROM pg_class c WHERE c.relname = ANY($1)`,
      [tenantTables],
    );
    const unprotected = rows.filter((r: any) => !r.relrowsecurity || !r.relforcerowsecurity || r.policies === 0).map((r: any) => r.relname);
    expect(unprotected).toEqual([]);
  });

  it('shows no row of any tenant table to a query without the tenant setting', async () => {
    for (const table of tenantTables) {
      const [plain] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
      expect(`${table}: ${plain.n}`).toBe(`${table}: 0`);
      const [inUnit] = await uow.withoutTenant((tx) => tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`));
      expect(`${table}: ${inUnit.n}`).toBe(`${table}: 0`);
    }
  });

  it('shows a tenant only its own rows even without a WHERE clause', async () => {
    const users = await uow.forTenant(a.id, (tx) => tx.query<{ tenant_id: string }>('SELECT tenant_id FROM users'));
    expect(users.length).toBeGreaterThanOrEqual(2);
    expect(new Set(users.map((u) => u.tenant_id))).toEqual(new Set([a.id]));
  });

  it('lets UPDATE and DELETE across tenants touch 0 rows', async () => {
    const touched = await uow.forTenant(a.id, async (tx) => {
      const updated = await tx.query(`WITH u AS (UPDATE users SET role = 'admin' WHERE tenant_id = $1 RETURNING 1) SELECT count(*)::int AS n FROM u`, [b.id]);
      const revoked = await tx.query(`WITH s AS (UPDATE sessions SET revoked_at = now() WHERE tenant_id = $1 RETURNING 1) SELECT count(*)::int AS n FROM s`, [b.id]);
      return [updated[0].n, revoked[0].n];
    });
    expect(touched).toEqual([0, 0]);
    const bUsers = await uow.forTenant(b.id, (tx) => tx.query<{ role: string }>("SELECT role FROM users WHERE role = 'member'"));
    expect(bUsers.length).toBe(1);
  });

  it('refuses to write a row into another tenant', async () => {
    await expect(
      uow.forTenant(a.id, (tx) =>
        tx.query("INSERT INTO users (tenant_id, email, password_hash, role) VALUES ($1, 'intruder@x.test', 'x', 'admin')", [b.id]),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('keeps the audit log append-only for the application role', async () => {
    await expect(uow.forTenant(a.id, (tx) => tx.query('DELETE FROM audit_logs'))).rejects.toThrow(/permission denied/);
    await expect(uow.forTenant(a.id, (tx) => tx.query("UPDATE audit_logs SET type = 'X'"))).rejects.toThrow(/permission denied/);
  });

  it('leaves no tenant setting behind on the connection after a unit of work', async () => {
    await uow.forTenant(a.id, (tx) => tx.query('SELECT 1'));
    const [setting] = await t.dataSource.query("SELECT coalesce(current_setting('app.tenant_id', true), '') AS v");
    expect(setting.v).toBe('');
  });

  describe('one-round-trip reads (readOnce)', () => {
    it('shows a tenant only its own rows even without a WHERE clause, and leaves no setting behind', async () => {
      const users = await uow.readOnce<{ tenant_id: string }>(a.id, 'SELECT tenant_id FROM users');
      expect(users.length).toBeGreaterThanOrEqual(2);
      expect(new Set(users.map((u) => u.tenant_id))).toEqual(new Set([a.id]));
      expect(await uow.readOnce(b.id, 'SELECT 1 FROM users WHERE tenant_id = $1', [a.id])).toEqual([]);
      const [setting] = await t.dataSource.query(
        "SELECT coalesce(current_setting('app.tenant_id', true), '') AS v, current_setting('transaction_read_only') AS ro, pg_current_xact_id_if_assigned() AS xact",
      );
      expect(setting).toEqual({ v: '', ro: 'off', xact: null });
    });

    it('passes any text through as the same value: quotes, backslashes, dollar signs and statement breaks included', async () => {
      const hostile = ["'; DELETE FROM users; --", 'back\\slash \\\' quote', '$1 $$ $tag$', 'ünïcödé \u{1F600}', "E'\\x00'"];
      for (const text of hostile) {
        const [row] = await uow.readOnce<{ echoed: string; n: number }>(a.id, 'SELECT $1::text AS echoed, count(*)::int AS n FROM users WHERE email = $1', [text]);
        expect(row).toEqual({ echoed: text, n: 0 });
      }
      const [count] = await uow.readOnce<{ n: number }>(a.id, 'SELECT count(*)::int AS n FROM users');
      expect(count.n).toBeGreaterThanOrEqual(2);
    });

    it('takes text, safe integers, booleans, dates and null as parameters, and refuses other values before sending anything', async () => {
      const at = new Date('2026-01-02T03:04:05.678Z');
      const [row] = await uow.readOnce(a.id, 'SELECT $1::text AS s, $2::bigint AS n, $3::boolean AS b, $4::timestamptz AS t, $5::text AS z', [
        'a',
        2 ** 53 - 1,
        false,
        at,
        null,
      ]);
      expect(row).toEqual({ s: 'a', n: String(2 ** 53 - 1), b: false, t: at, z: null });
      for (const value of [1.5, 2 ** 60, ['a'], new Date('nope'), { a: 1 }]) {
        await expect(uow.readOnce(a.id, 'SELECT $1::text AS v', [value])).rejects.toThrow(/^unsupported SQL parameter value/);
      }
      expect(await uow.readOnce(a.id, 'SELECT $1::text AS v', ['next'])).toEqual([{ v: 'next' }]);
    });

    it('is read-only: a write fails, changes nothing, and the connection serves the next request', async () => {
      await expect(uow.readOnce(a.id, "UPDATE users SET role = 'admin' WHERE tenant_id = $1 RETURNING id", [a.id])).rejects.toThrow(
        /read-only transaction/,
      );
      const admins = await uow.readOnce<{ n: number }>(a.id, "SELECT count(*)::int AS n FROM users WHERE role = 'admin'");
      expect(admins).toEqual([{ n: 1 }]);
    });

    it('prepares each statement once on a connection, in reads and in units of work alike', async () => {
      const prepared = 'SELECT name, statement FROM pg_prepared_statements WHERE statement = $1';
      const once = (text: string) => [{ name: expect.stringMatching(/^s_[0-9a-f]{24}$/), statement: text }];
      await uow.readOnce(a.id, prepared, [prepared]);
      expect(await uow.readOnce(a.id, prepared, [prepared])).toEqual(once(prepared));

      const inUnit = `${prepared} -- in a unit of work`;
      await uow.forTenant(a.id, (tx) => tx.query(inUnit, [inUnit]));
      expect(await uow.forTenant(a.id, (tx) => tx.query(inUnit, [inUnit]))).toEqual(once(inUnit));
    });

    // Sequential reads reuse the connection released last (pg-pool hands out its idle clients last in,
    // first out; PGlite has one): the retry runs where the failure left its bookkeeping.
    it('serves a statement again after it failed while running, and after its preparation failed', async () => {
      const divide = 'SELECT 10 / $1::int AS q';
      await expect(uow.readOnce(a.id, divide, [0])).rejects.toThrow(/division by zero/);
      expect(await uow.readOnce(a.id, divide, [5])).toEqual([{ q: 2 }]);

      const table = `later_${Date.now()}`;
      const text = `SELECT count(*)::int AS n FROM ${table}`;
      await expect(uow.readOnce(a.id, text)).rejects.toThrow(/does not exist/);
      await queryAsOwner(t, `CREATE TABLE ${table} (id int); GRANT SELECT ON ${table} TO ${APP_ROLE}`);
      try {
        expect(await uow.readOnce(a.id, text)).toEqual([{ n: 0 }]);
      } finally {
        await queryAsOwner(t, `DROP TABLE ${table}`);
      }
    });
  });
});
