import { randomBytes } from 'node:crypto';
import { createTenant, TestTenant } from '../support/factories';
import { buildService, createServiceStore, ServiceProcess, ServiceStore, startServiceProcess } from '../support/service-process';

jest.setTimeout(180_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The JSON lines of the service's output (anything else it printed is skipped). */
function logLines(service: ServiceProcess): Array<Record<string, unknown>> {
  return service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The access-log lines of one request id, once the request's line has reached the pipe. */
async function accessLinesOf(service: ServiceProcess, requestId: string): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = logLines(service).filter((line) => line.msg === 'request completed' && line.requestId === requestId);
    if (lines.length > 0 || Date.now() > deadline) return lines;
    await sleep(50);
  }
}

/**
 * The built service's log at LOG_LEVEL=info, as an operator reads it: one
 * access-log line per request, stamped with the request id, tenant and user,
 * and never a secret the request carried.
 */
describe('access log of the built service', () => {
  let store: ServiceStore;
  let service: ServiceProcess;
  let tenant: TestTenant;

  beforeAll(async () => {
    await buildService();
    store = await createServiceStore('access-log');
    service = await startServiceProcess({ ...store.env, LOG_LEVEL: 'info' });
    tenant = await createTenant(service.http);
  });

  afterAll(async () => {
    await service?.kill();
    await store?.drop();
  });

  it('writes exactly one line per request with its id, route, status, tenant and user', async () => {
    const requestId = `log-${randomBytes(6).toString('hex')}`;
    const res = await service.http.get('/api/auth/me', { token: tenant.admin.token, headers: { 'x-request-id': requestId } });
    expect(res.status).toBe(200);

    const lines = await accessLinesOf(service, requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      requestId,
      tenantId: tenant.id,
      userId: tenant.admin.id,
      method: 'GET',
      route: '/api/auth/me',
      url: '/api/auth/me',
      status: 200,
      ip: '127.0.0.1',
      responseTimeMs: expect.any(Number),
    });
  });

  it('logs a refused request too, without a principal', async () => {
    const requestId = `log-${randomBytes(6).toString('hex')}`;
    const res = await service.http.get('/api/wallets', { token: 'not-a-token', headers: { 'x-request-id': requestId } });
    expect(res.status).toBe(401);

    const lines = await accessLinesOf(service, requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ requestId, route: '/api/wallets', status: 401 });
    expect(lines[0]).not.toHaveProperty('userId');
  });

  it('never writes the passwords or tokens the requests carried', async () => {
    // Signing in (createTenant) sent the admin's password and received both tokens.
    const output = service.output();
    expect(output).toContain('request completed');
    expect(output).not.toContain(tenant.admin.password);
    expect(output).not.toContain(tenant.admin.token);
    expect(output).not.toContain(tenant.admin.refreshToken);
  });
});
