import { startTestApp, TestApp } from '../support/test-app';
import { createTenant, createUser, TestTenant } from '../support/factories';

const REQUESTS = Number(process.env.POOL_TEST_REQUESTS ?? 2000);
const CONCURRENCY = 16;

/**
 * With a pool of two connections shared by every tenant, thousands of
 * requests alternating tenants, some failing inside their transaction, must
 * never see a row of the wrong tenant: the tenant setting lives and dies
 * with each transaction, never with the pooled connection.
 */
describe('pooled connections never leak a tenant', () => {
  let t: TestApp;
  let tenants: TestTenant[];

  beforeAll(async () => {
    t = await startTestApp({ DATABASE_POOL_SIZE: '2' });
    tenants = [await createTenant(t.http), await createTenant(t.http)];
    for (const tenant of tenants) for (let i = 0; i < 3; i++) await createUser(t.http, tenant);
  });
  afterAll(() => t.close());

  it(`serves ${REQUESTS} interleaved requests with 0 rows of another tenant`, async () => {
    const wrongRows: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const i = next++;
        const tenant = tenants[i % 2];
        const ownDomain = `${tenant.slug}.test`;
        if (i % 5 === 4) {
          // Fails inside the transaction: the e-mail exists (unique violation, rolled back).
          const res = await t.http.post('/api/users', { email: tenant.admin.email, password: 'password-123', role: 'member' }, { token: tenant.admin.token });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          continue;
        }
        const res = await t.http.get('/api/users?limit=100', { token: tenant.admin.token });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        for (const user of res.body?.data ?? []) if (!user.email.endsWith(ownDomain)) wrongRows.push(`${tenant.slug} saw ${user.email}`);
        if (res.body?.data?.length !== 4) wrongRows.push(`${tenant.slug} saw ${res.body?.data?.length} users`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(wrongRows).toEqual([]);
    expect(Object.fromEntries(statuses)).toEqual({ 200: REQUESTS - Math.floor(REQUESTS / 5), 409: Math.floor(REQUESTS / 5) });
  });
});
