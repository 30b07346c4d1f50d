import { AuditService } from '../../src/modules/audit/audit.service';
import { queryAsOwner } from '../support/db';
import { createTenant, TestTenant } from '../support/factories';
import { OwnServices, postgresBinDir, startOwnServices } from '../support/own-services';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(what: string, deadlineMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await sleep(250);
  }
}

/** Sends a request that is refused without touching the database and audited as a SECURITY_VIOLATION. */
const mismatch = (t: TestApp, tenant: TestTenant, other: TestTenant) =>
  t.http.get('/api/auth/me', { token: tenant.admin.token, headers: { 'x-tenant-id': other.slug } });

const storedViolations = async (t: TestApp, tenantId: string) =>
  queryAsOwner<{ n: number; distinct_ids: number }>(
    t,
    "SELECT count(*)::int AS n, count(DISTINCT id)::int AS distinct_ids FROM audit_logs WHERE tenant_id = $1 AND type = 'SECURITY_VIOLATION'",
    [tenantId],
  ).then(([row]) => row);

// Stopping a database needs a real PostgreSQL of the suite's own; the embedded
// run proves the buffer's other promise instead: a burst is stored exactly once.
if (process.env.DATABASE_URL && postgresBinDir()) {
  describe('audit buffer through a 30 s database outage (real PostgreSQL)', () => {
    let services: OwnServices;
    let t: TestApp;
    let tenant: TestTenant;
    let other: TestTenant;

    beforeAll(async () => {
      services = await startOwnServices();
      const database = await createTestDatabase(services.databaseUrl);
      t = await startTestApp({ REDIS_URL: services.redisUrl, AUDIT_FLUSH_INTERVAL_MS: '200', AUDIT_BATCH_SIZE: '50' }, { databaseUrl: database.url });
      tenant = await createTenant(t.http);
      other = await createTenant(t.http);
    });
    afterAll(async () => {
      await services?.startPostgres().catch(() => undefined);
      await t?.close();
      await services?.stop();
    });

    it('keeps every event while the database is away and stores each exactly once when it returns', async () => {
      const audit = t.app.get(AuditService);
      let sent = 0;
      const send = async () => {
        const res = await mismatch(t, tenant, other);
        expect(res.status).toBe(403);
        sent++;
      };
      for (let i = 0; i < 20; i++) await send();
      await audit.flush();
      const before = audit.stats();

      await services.stopPostgres();
      const outageEnds = Date.now() + 30_000;
      while (Date.now() < outageEnds) {
        await Promise.all(Array.from({ length: 5 }, send));
        await sleep(100);
      }
      const during = audit.stats();
      expect(during.buffered).toBeGreaterThan(0);
      expect(during.retried).toBeGreaterThan(before.retried);
      expect(during.dropped).toBe(0);

      await services.startPostgres();
      await eventually('the buffer drains', 60_000, async () => audit.stats().buffered === 0);
      const after = audit.stats();
      expect(after.dropped).toBe(0);
      expect(after.flushed - before.flushed).toBe(sent - 20);
      expect(await storedViolations(t, tenant.id)).toEqual({ n: sent, distinct_ids: sent });
      const verify = await t.http.get('/api/audit-logs/verify', { token: tenant.admin.token });
      expect(verify.body).toEqual({ valid: true, checked: expect.any(Number), firstBrokenId: null });
    });
  });
} else {
  describe('audit buffer under a burst (embedded database)', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.close());

    it('stores 10,000 events recorded at full speed exactly once, in batches', async () => {
      const tenant = await createTenant(t.http);
      const audit = t.app.get(AuditService);
      const before = audit.stats();
      for (let i = 0; i < 10_000; i++) audit.record({ type: 'SECURITY_VIOLATION', tenantId: tenant.id, metadata: { i } });
      await eventually('the buffer drains', 120_000, async () => {
        await audit.flush();
        return audit.stats().buffered === 0;
      });
      expect(audit.stats().flushed - before.flushed).toBeGreaterThanOrEqual(10_000);
      expect(await storedViolations(t, tenant.id)).toEqual({ n: 10_000, distinct_ids: 10_000 });
      const indexes = await queryAsOwner<{ n: number }>(
        t,
        "SELECT count(DISTINCT (metadata->>'i'))::int AS n FROM audit_logs WHERE tenant_id = $1",
        [tenant.id],
      );
      expect(indexes[0].n).toBe(10_000);
    });
  });
}
