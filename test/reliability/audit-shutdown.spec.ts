import { createTenant, TestTenant } from '../support/factories';
import { HttpClient } from '../support/http';
import { buildService, createServiceStore, exitWithin, runServiceCli, ServiceProcess, ServiceStore, startServiceProcess } from '../support/service-process';
import { PLATFORM_TOKEN } from '../support/test-app';

jest.setTimeout(300_000);

const EVENTS = 10_000;
const CONCURRENCY = 32;
/**
 * Batches of 4096 and no timed flush within the test: about 1,800 of the
 * 10,000 events are still waiting in memory at the signal, so only the
 * shutdown flush can write them (and a batch may be under way too).
 */
const SERVICE_ENV = { AUDIT_BATCH_SIZE: '4096', AUDIT_FLUSH_INTERVAL_MS: '600000', SHUTDOWN_DRAIN_MS: '0' };

/**
 * Sends `EVENTS` requests at full speed, each refused with a 403 and audited
 * once as a SECURITY_VIOLATION on the buffered path (a token of `tenant`
 * naming `other` in X-Tenant-Id), each with its own X-Request-Id.
 */
async function sendViolations(http: HttpClient, tenant: TestTenant, other: TestTenant): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < EVENTS) {
      const i = next++;
      const res = await http.get('/api/auth/me', {
        token: tenant.admin.token,
        headers: { 'x-tenant-id': other.slug, 'x-request-id': `burst-${i}` },
      });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return statuses;
}

describe('audit buffer on SIGTERM (the built service as a child process)', () => {
  let store: ServiceStore;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    await buildService();
    store = await createServiceStore('audit-shutdown');
  });
  afterAll(async () => {
    await service?.kill();
    await store?.drop();
  });

  it(`writes all ${EVENTS.toLocaleString('en')} buffered events exactly once before the process exits`, async () => {
    service = await startServiceProcess({ ...store.env, ...SERVICE_ENV });
    const tenant = await createTenant(service.http);
    const other = await createTenant(service.http);

    expect(await sendViolations(service.http, tenant, other)).toEqual(new Map([[403, EVENTS]]));
    const metrics = await service.http.get('/api/metrics?detailed=true', { token: PLATFORM_TOKEN });
    expect(metrics.status).toBe(200);
    // Still in memory at the signal: what the shutdown flush alone must write.
    expect(metrics.body.audit.buffered).toBeGreaterThan(0);
    expect(metrics.body.audit.dropped).toBe(0);

    service.child.kill('SIGTERM');
    expect(await exitWithin(service, 60_000)).toEqual({ code: 0, signal: null });
    expect(service.output()).not.toMatch(/audit events could not be written/);

    const [stored] = await store.query<{ n: number; requests: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT request_id)::int AS requests
         FROM audit_logs WHERE tenant_id = $1 AND type = 'SECURITY_VIOLATION' AND request_id LIKE 'burst-%'`,
      [tenant.id],
    );
    expect(stored).toEqual({ n: EVENTS, requests: EVENTS });
    const verify = await runServiceCli('dist/modules/audit/audit.cli.js', ['verify'], store);
    expect(verify).toEqual({ code: 0, stdout: expect.stringMatching(new RegExp(`^${tenant.id}: \\d+ events, intact$`, 'm')), stderr: '' });
  });
});
