import { AuditService } from '../../src/modules/audit/audit.service';
import { queryAsOwner } from '../support/db';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';
import { createTenant, createUser, login, TestTenant, TestUser } from '../support/factories';

describe('audit log', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let member: TestUser;

  const flush = () => t.app.get(AuditService).flush();
  const verify = async (tenant: TestTenant) => (await t.http.get('/api/audit-logs/verify', { token: tenant.admin.token })).body;

  beforeAll(async () => {
    t = await startTestApp();
    a = await createTenant(t.http);
    b = await createTenant(t.http);
    member = await createUser(t.http, a);
    for (let i = 0; i < 4; i++) await login(t.http, a.slug, member.email, member.password);
    await flush();
  });
  afterAll(() => t.close());

  it('lists the tenant’s events for an admin, newest first, in the documented shape', async () => {
    const res = await t.http.get('/api/audit-logs?limit=3', { token: a.admin.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(3);
    expect(res.body.nextCursor).toEqual(expect.any(String));
    for (const event of res.body.data) {
      expect(Object.keys(event).sort()).toEqual(
        ['createdAt', 'id', 'ip', 'metadata', 'outcome', 'requestId', 'resourceId', 'resourceType', 'severity', 'tenantId', 'type', 'userId'].sort(),
      );
      expect(event.tenantId).toBe(a.id);
    }
    const times = res.body.data.map((e: { createdAt: string }) => e.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('filters by type, severity and time', async () => {
    const logins = await t.http.get('/api/audit-logs?type=AUTH_LOGIN&limit=100', { token: a.admin.token });
    expect(logins.body.data.length).toBeGreaterThanOrEqual(5);
    expect(logins.body.data.every((e: { type: string }) => e.type === 'AUTH_LOGIN')).toBe(true);
    const warnings = await t.http.get('/api/audit-logs?severity=WARNING', { token: a.admin.token });
    expect(warnings.body.data.every((e: { severity: string }) => e.severity === 'WARNING')).toBe(true);
    const future = await t.http.get(`/api/audit-logs?from=${new Date(Date.now() + 60_000).toISOString()}`, { token: a.admin.token });
    expect(future.body.data).toEqual([]);
    const past = await t.http.get(`/api/audit-logs?to=2000-01-01T00:00:00Z`, { token: a.admin.token });
    expect(past.body.data).toEqual([]);
  });

  it.each(['type=NOPE', 'severity=LOW', 'from=yesterday', 'limit=0'])('refuses %s with 400', async (query) => {
    const res = await t.http.get(`/api/audit-logs?${query}`, { token: a.admin.token });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  it('is closed to members and never shows another tenant’s events', async () => {
    expect((await t.http.get('/api/audit-logs', { token: member.token })).status).toBe(403);
    expect((await t.http.get('/api/audit-logs/verify', { token: member.token })).status).toBe(403);
    const res = await t.http.get('/api/audit-logs?limit=100', { token: b.admin.token });
    expect(res.body.data.length).toBeGreaterThan(0);
    expect(res.body.data.every((e: { tenantId: string }) => e.tenantId === b.id)).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(member.id);
  });

  it('verifies an intact chain', async () => {
    const report = await verify(a);
    expect(report).toEqual({ valid: true, checked: expect.any(Number), firstBrokenId: null });
    expect(report.checked).toBeGreaterThanOrEqual(6);
  });

  describe('finds tampering at the right row', () => {
    let tenant: TestTenant;
    let chain: Array<{ id: string; chain_seq: string }>;

    beforeEach(async () => {
      tenant = await createTenant(t.http);
      for (let i = 0; i < 5; i++) await login(t.http, tenant.slug, tenant.admin.email, tenant.admin.password);
      await flush();
      chain = await queryAsOwner(t, 'SELECT id, chain_seq FROM audit_logs WHERE tenant_id = $1 ORDER BY chain_seq', [tenant.id]);
      expect(chain.length).toBe(6);
      expect((await verify(tenant)).valid).toBe(true);
    });

    it('a changed field', async () => {
      await queryAsOwner(t, `UPDATE audit_logs SET ip = '10.9.9.9' WHERE id = $1`, [chain[2].id]);
      expect(await verify(tenant)).toMatchObject({ valid: false, firstBrokenId: chain[2].id });
    });

    it('changed metadata', async () => {
      await queryAsOwner(t, `UPDATE audit_logs SET metadata = '{"forged":true}' WHERE id = $1`, [chain[4].id]);
      expect(await verify(tenant)).toMatchObject({ valid: false, firstBrokenId: chain[4].id });
    });

    it('a deleted row', async () => {
      await queryAsOwner(t, 'DELETE FROM audit_logs WHERE id = $1', [chain[1].id]);
      expect(await verify(tenant)).toMatchObject({ valid: false, firstBrokenId: chain[2].id });
    });

    it('a deleted last row', async () => {
      await queryAsOwner(t, 'DELETE FROM audit_logs WHERE id = $1', [chain[5].id]);
      expect(await verify(tenant)).toMatchObject({ valid: false });
    });

    it('reordered rows', async () => {
      // Swap the places of two events (through a free number, the sequence being unique).
      await queryAsOwner(t, 'UPDATE audit_logs SET chain_seq = chain_seq + 1000 WHERE id = $1', [chain[3].id]);
      await queryAsOwner(t, 'UPDATE audit_logs SET chain_seq = $2 WHERE id = $1', [chain[4].id, chain[3].chain_seq]);
      await queryAsOwner(t, 'UPDATE audit_logs SET chain_seq = $2 WHERE id = $1', [chain[3].id, chain[4].chain_seq]);
      expect(await verify(tenant)).toMatchObject({ valid: false, firstBrokenId: chain[4].id });
    });
  });

  it('lets the platform operator list every tenant and the tenant-less events', async () => {
    const all = await t.http.get('/api/admin/audit-logs?limit=100', { token: PLATFORM_TOKEN });
    const tenants = new Set(all.body.data.map((e: { tenantId: string }) => e.tenantId));
    expect(tenants.has(a.id) && tenants.has(b.id)).toBe(true);
  });
});
