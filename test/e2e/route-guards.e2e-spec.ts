import { randomUUID } from 'node:crypto';
import { registeredRoutes } from '../../src/common/http/route-registry';
import { startTestApp, TestApp } from '../support/test-app';
import { createTenant, TestTenant } from '../support/factories';
import { decodeJwt, forgeJwt } from '../support/jwt-forge';

/** Routes anyone may call. A route not listed here must refuse anonymous callers. */
const PUBLIC_ROUTES = [
  /^GET \/api\/health(\/(live|ready|startup))?$/,
  /^POST \/api\/auth\/(login|refresh)$/,
  /^GET \/api\/docs(-json|-yaml)?$/,
  /^GET \/api\/docs\/.*/,
  /^GET \/api\/metrics$/,
  /^GET \/metrics$/,
];
/** Routes that take the platform token instead of a user token. */
const PLATFORM_ROUTES = /^(GET|POST|PATCH|DELETE) \/api\/admin\//;

describe('every route is guarded (walked from the router)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let routes: Array<{ method: string; url: string; path: string }>;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await createTenant(t.http);
    routes = registeredRoutes(t.app.getHttpAdapter().getInstance())
      .filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS')
      .map((r) => ({ ...r, path: r.url.replace(/:[A-Za-z]+/g, randomUUID()) }));
  });
  afterAll(() => t.close());

  const isPublic = (r: { method: string; url: string }) => PUBLIC_ROUTES.some((re) => re.test(`${r.method} ${r.url}`));

  it('finds the routes of the service', () => {
    expect(routes.length).toBeGreaterThan(8);
    expect(routes).toEqual(expect.arrayContaining([expect.objectContaining({ method: 'GET', url: '/api/users' })]));
  });

  const badTokens: Array<[string, () => string | undefined]> = [
    ['no token', () => undefined],
    ['a malformed token', () => 'abc.def.ghi'],
    ['an alg:none token', () => forgeJwt({ alg: 'none', typ: 'JWT' }, { ...decodeJwt(tenant.admin.token), exp: Math.floor(Date.now() / 1000) + 600 })],
    ['a token signed with another secret', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, decodeJwt(tenant.admin.token), 'x'.repeat(40))],
    ['an expired token', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...decodeJwt(tenant.admin.token), exp: 1000 }, t.config.JWT_SECRET!)],
  ];

  it.each(badTokens)('answers 401 to %s on every non-public route', async (_, token) => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => !isPublic(r))) {
      const res = await t.http.request(route.method, route.path, { token: token(), body: ['POST', 'PATCH', 'PUT'].includes(route.method) ? {} : undefined });
      if (res.status !== 401 || res.body?.code !== 'UNAUTHENTICATED') failures.push(`${route.method} ${route.url} -> ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('refuses a valid user token on platform routes', async () => {
    for (const route of routes.filter((r) => PLATFORM_ROUTES.test(`${r.method} ${r.url}`))) {
      const res = await t.http.request(route.method, route.path, { token: tenant.admin.token, body: route.method === 'GET' ? undefined : {} });
      expect(`${route.method} ${route.url} -> ${res.status}`).toBe(`${route.method} ${route.url} -> 401`);
    }
  });
});
