import { AuditService } from '../../src/modules/audit/audit.service';
import { pruneAuditLog, verifyAllChains } from '../../src/modules/audit/audit-retention';
import { queryAsOwner, withOwnerUnitOfWork } from '../support/db';
import { startTestApp, TestApp } from '../support/test-app';
import { createTenant, login, TestTenant } from '../support/factories';

/** Retention removes old events without ever making a chain unverifiable. */
describe('audit retention', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;

  const verify = async (who: TestTenant) => (await t.http.get('/api/audit-logs/verify', { token: who.admin.token })).body;
  const count = async (who: TestTenant) =>
    (await queryAsOwner<{ n: number }>(t, 'SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = $1', [who.id]))[0].n;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await createTenant(t.http);
    other = await createTenant(t.http);
    for (let i = 0; i < 9; i++) await login(t.http, tenant.slug, tenant.admin.email, tenant.admin.password);
    await t.app.get(AuditService).flush();
  });
  afterAll(() => t.close());

  it('prunes the old prefix of a chain and keeps it verifiable', async () => {
    expect(await count(tenant)).toBe(10);
    // The first six events of the tenant are made two years old.
    await queryAsOwner(t, "UPDATE audit_logs SET created_at = now() - interval '730 days' WHERE tenant_id = $1 AND chain_seq <= 6", [tenant.id]);
    const cutoff = new Date(Date.now() - 365 * 86_400_000);
    const removed = await withOwnerUnitOfWork(t, (uow) => pruneAuditLog(uow, cutoff));
    expect(removed.find((r) => r.tenantId === tenant.id)?.removed).toBe(6);
    expect(removed.find((r) => r.tenantId === other.id)?.removed).toBe(0);
    expect(await count(tenant)).toBe(4);
    expect(await verify(tenant)).toEqual({ valid: true, checked: 4, firstBrokenId: null });
    // New events chain on after the pruned prefix.
    await login(t.http, tenant.slug, tenant.admin.email, tenant.admin.password);
    await t.app.get(AuditService).flush();
    expect(await verify(tenant)).toEqual({ valid: true, checked: 5, firstBrokenId: null });
  });

  it('still finds tampering after a prune, and reports every chain from the operator command', async () => {
    const [victim] = await queryAsOwner<{ id: string }>(t, 'SELECT id FROM audit_logs WHERE tenant_id = $1 ORDER BY chain_seq LIMIT 1 OFFSET 1', [tenant.id]);
    await queryAsOwner(t, "UPDATE audit_logs SET type = 'AUTH_LOGOUT' WHERE id = $1", [victim.id]);
    expect(await verify(tenant)).toMatchObject({ valid: false, firstBrokenId: victim.id });
    const reports = await withOwnerUnitOfWork(t, (uow) => verifyAllChains(uow));
    expect(reports.find((r) => r.tenantId === tenant.id)).toMatchObject({ valid: false, firstBrokenId: victim.id });
    expect(reports.find((r) => r.tenantId === other.id)).toMatchObject({ valid: true });
  });
});
