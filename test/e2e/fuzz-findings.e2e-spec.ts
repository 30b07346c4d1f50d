import { createTenant, TestTenant } from '../support/factories';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';

/**
 * Minimal reproductions of what the schema-driven fuzzer
 * (test/reliability/fuzz-openapi.spec.ts) found, kept as plain tests so that
 * each stays fixed whatever seed the fuzzer runs with.
 */
describe('requests the fuzzer found mishandled', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await createTenant(t.http);
  });
  afterAll(() => t?.close());

  const expectProblem = (res: { status: number; headers: Record<string, string>; body: any }, status: number, code: string) => {
    expect({ status: res.status, type: res.headers['content-type'], code: res.body?.code }).toEqual({
      status,
      type: 'application/problem+json; charset=utf-8',
      code,
    });
  };

  it.each(['prototype', 'constructor', 'hasOwnProperty', 'toString', '__defineGetter__'])(
    'refuses a body member named %s as an unknown field, instead of dropping it and creating the resource',
    async (member) => {
      const res = await t.http.request('POST', '/api/wallets', {
        rawBody: `{"currency":"EUR",${JSON.stringify(member)}:1}`,
        contentType: 'application/json',
        token: tenant.admin.token,
      });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual([{ field: member, message: 'should not exist' }]);
      const wallets = await t.http.get('/api/wallets', { token: tenant.admin.token });
      expect(wallets.body.data).toEqual([]);
    },
  );

  it('refuses such a member nested in the body too', async () => {
    const res = await t.http.request('POST', '/api/wallets', {
      rawBody: '{"currency":"EUR","name":{"valueOf":1}}',
      contentType: 'application/json',
      token: tenant.admin.token,
    });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toEqual([{ field: 'name.valueOf', message: 'should not exist' }]);
  });

  it.each(['constructor', 'hasOwnProperty', 'prototype'])('refuses a query parameter named %s as unknown', async (name) => {
    expectProblem(await t.http.get(`/api/users?${name}=1`, { token: tenant.admin.token }), 400, 'VALIDATION_FAILED');
  });

  it.each(['%zz', '%ff%fe', '%c0%af', '%'])('answers a path id %s that is not valid percent-encoding 404 like any malformed id', async (id) => {
    const res = await t.http.get(`/api/wallets/${id}`, { token: tenant.admin.token });
    expectProblem(res, 404, 'NOT_FOUND');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it.each([
    ['POST /api/users', '/api/users', (s: string) => ({ email: `x${s}@example.com`, password: 'long enough password', role: 'member' })],
    ['POST /api/admin/tenants', '/api/admin/tenants', (s: string) => ({ slug: 'surrogates', name: 'S', adminEmail: `x${s}`, adminPassword: 'long enough password' })],
    ['POST /api/wallets', '/api/wallets', (s: string) => ({ currency: 'EUR', name: `a${s}b` })],
  ])('refuses lone UTF-16 surrogates in a JSON string (%s) with 400 instead of crashing the e-mail check with 500', async (_op, path, body) => {
    for (const lone of ['\ud83d', '\udc00', '\udfff\ud800']) {
      const token = path === '/api/admin/tenants' ? PLATFORM_TOKEN : tenant.admin.token;
      const res = await t.http.request('POST', path, { rawBody: JSON.stringify(body(lone)), contentType: 'application/json', token });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual([{ field: expect.any(String), message: 'must be well-formed Unicode text (no lone surrogates)' }]);
    }
    // A well-formed pair is text like any other.
    const fine = await t.http.post('/api/wallets', { currency: 'EUR', name: 'rocket \ud83d\ude80' }, { token: tenant.admin.token });
    expect(fine.status).toBe(201);
    expect(fine.body.name).toBe('rocket 🚀');
  });

  it('answers a path id of 5000 characters 404 like any malformed id, not 414', async () => {
    const res = await t.http.get(`/api/svm/products/${'x'.repeat(5000)}`, { token: tenant.admin.token });
    expectProblem(res, 404, 'NOT_FOUND');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
