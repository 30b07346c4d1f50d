import { randomUUID } from 'node:crypto';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';
import { createTenant, createUser, login, TestTenant, TestUser, uniqueSlug } from '../support/factories';
import { decodeJwt, forgeJwt } from '../support/jwt-forge';
import { AuditService } from '../../src/modules/audit/audit.service';

describe('tenants, users and authentication', () => {
  let t: TestApp;
  let acme: TestTenant;
  let member: TestUser;

  const auditEvents = async (tenantId: string, type: string) => {
    await t.app.get(AuditService).flush();
    const res = await t.http.get(`/api/admin/audit-logs?tenantId=${tenantId}&type=${type}&limit=100`, { token: PLATFORM_TOKEN });
    expect(res.status).toBe(200);
    return res.body.data as Array<Record<string, any>>;
  };

  beforeAll(async () => {
    t = await startTestApp();
    acme = await createTenant(t.http);
    member = await createUser(t.http, acme, 'member');
  });
  afterAll(() => t.close());

  describe('platform provisioning', () => {
    it('creates a tenant and its first admin with the platform token', async () => {
      const slug = uniqueSlug();
      const res = await t.http.post('/api/admin/tenants', { slug, name: 'New Co', adminEmail: `Boss@${slug}.test`, adminPassword: 'password-123' }, { token: PLATFORM_TOKEN });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(String), slug, name: 'New Co', createdAt: expect.any(String) });
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
      const tokens = await login(t.http, slug, `boss@${slug}.test`, 'password-123');
      const me = await t.http.get('/api/auth/me', { token: tokens.accessToken });
      expect(me.body).toMatchObject({ tenantId: res.body.id, tenantSlug: slug, role: 'admin', email: `boss@${slug}.test` });
    });

    it.each([
      ['no token', undefined],
      ['a wrong token', 'wrong-platform-token-000000'],
      ['a user token', 'USER'],
    ])('refuses %s with 401', async (_, token) => {
      const res = await t.http.post('/api/admin/tenants', { slug: uniqueSlug(), name: 'X', adminEmail: 'a@x.test', adminPassword: 'password-123' }, { token: token === 'USER' ? acme.admin.token : token });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });

    it('answers 409 CONFLICT for a taken slug', async () => {
      const res = await t.http.post('/api/admin/tenants', { slug: acme.slug, name: 'Dup', adminEmail: 'a@dup.test', adminPassword: 'password-123' }, { token: PLATFORM_TOKEN });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('CONFLICT');
    });

    it.each(['ab', 'Upper-Case', 'under_score', 'x'.repeat(64), '0b5e2f6a-1c2d-4e5f-8a9b-0c1d2e3f4a5b', '0b5e2f6a1c2d4e5f8a9b0c1d2e3f4a5b'])(
      'refuses the slug %j with 400',
      async (slug) => {
        const res = await t.http.post('/api/admin/tenants', { slug, name: 'X', adminEmail: 'a@x.test', adminPassword: 'password-123' }, { token: PLATFORM_TOKEN });
        expect(res.status).toBe(400);
        expect(res.body.errors[0].field).toBe('slug');
      },
    );
  });

  describe('login', () => {
    it('issues a bearer pair whose access token carries tenant, user, role and session', async () => {
      const res = await t.http.post('/api/auth/login', { tenant: acme.slug, email: member.email, password: member.password });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
      const claims = decodeJwt(res.body.accessToken);
      expect(claims).toMatchObject({ sub: member.id, tid: acme.id, role: 'member', sid: expect.any(String) });
      expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
    });

    it('accepts the tenant id as well as the slug, and e-mails in any case', async () => {
      const res = await t.http.post('/api/auth/login', { tenant: acme.id, email: member.email.toUpperCase(), password: member.password });
      expect(res.status).toBe(200);
    });

    it('answers the same 401 for an unknown tenant, an unknown user and a wrong password', async () => {
      const answers = await Promise.all([
        t.http.post('/api/auth/login', { tenant: 'no-such-tenant', email: member.email, password: member.password }),
        t.http.post('/api/auth/login', { tenant: acme.slug, email: 'ghost@example.com', password: member.password }),
        t.http.post('/api/auth/login', { tenant: acme.slug, email: member.email, password: 'wrong-password' }),
      ]);
      for (const res of answers) {
        expect(res.status).toBe(401);
        const { requestId: _, ...rest } = res.body;
        expect(rest).toEqual({ type: '/errors/unauthenticated', title: 'Unauthenticated', status: 401, code: 'UNAUTHENTICATED', detail: 'invalid credentials' });
      }
    });

    it('audits AUTH_LOGIN, and AUTH_FAILED in the named tenant or with no tenant', async () => {
      await t.http.post('/api/auth/login', { tenant: acme.slug, email: member.email, password: 'wrong-password' }, { headers: { 'x-request-id': 'failed-login-1' } });
      await t.http.post('/api/auth/login', { tenant: 'unknown-tenant-xyz', email: 'x@example.com', password: 'whatever-1' }, { headers: { 'x-request-id': 'failed-login-2' } });
      const failed = await auditEvents(acme.id, 'AUTH_FAILED');
      expect(failed.find((e) => e.requestId === 'failed-login-1')).toMatchObject({ tenantId: acme.id, userId: member.id, severity: 'WARNING', ip: '127.0.0.1' });
      expect(JSON.stringify(failed)).not.toContain('wrong-password');
      const tenantless = await auditEvents('none', 'AUTH_FAILED');
      expect(tenantless.find((e) => e.requestId === 'failed-login-2')).toMatchObject({ tenantId: null, type: 'AUTH_FAILED' });
      const logins = await auditEvents(acme.id, 'AUTH_LOGIN');
      expect(logins.some((e) => e.userId === member.id && e.severity === 'INFO')).toBe(true);
    });
  });

  describe('refresh and logout', () => {
    it('rotates the refresh token: the new pair works, the old refresh token does not', async () => {
      const first = await login(t.http, acme.slug, member.email, member.password);
      const rotated = await t.http.post('/api/auth/refresh', { refreshToken: first.refreshToken });
      expect(rotated.status).toBe(200);
      expect(rotated.body.refreshToken).not.toBe(first.refreshToken);
      expect((await t.http.get('/api/auth/me', { token: rotated.body.accessToken })).status).toBe(200);
      const next = await t.http.post('/api/auth/refresh', { refreshToken: rotated.body.refreshToken });
      expect(next.status).toBe(200);
    });

    it('revokes the whole session when a rotated refresh token is used again', async () => {
      const first = await login(t.http, acme.slug, member.email, member.password);
      const rotated = await t.http.post('/api/auth/refresh', { refreshToken: first.refreshToken });
      expect(rotated.status).toBe(200);
      const reuse = await t.http.post('/api/auth/refresh', { refreshToken: first.refreshToken });
      expect(reuse.status).toBe(401);
      expect((await t.http.get('/api/auth/me', { token: rotated.body.accessToken })).status).toBe(401);
      expect((await t.http.get('/api/auth/me', { token: first.accessToken })).status).toBe(401);
      expect((await t.http.post('/api/auth/refresh', { refreshToken: rotated.body.refreshToken })).status).toBe(401);
      const violations = await auditEvents(acme.id, 'SECURITY_VIOLATION');
      expect(violations.some((e) => e.severity === 'CRITICAL' && e.userId === member.id)).toBe(true);
    });

    it.each(['garbage', '', `rt1.${randomUUID()}.${'a'.repeat(43)}`, 'rt1.not-a-uuid.x', 'x'.repeat(500)])('refuses the refresh token %j', async (refreshToken) => {
      const res = await t.http.post('/api/auth/refresh', { refreshToken });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });

    it('logout answers 204 and ends the session at once: access and refresh tokens refused', async () => {
      const session = await login(t.http, acme.slug, member.email, member.password);
      expect((await t.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(200);
      const out = await t.http.post('/api/auth/logout', undefined, { token: session.accessToken });
      expect(out.status).toBe(204);
      expect(out.text).toBe('');
      expect((await t.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(401);
      expect((await t.http.post('/api/auth/refresh', { refreshToken: session.refreshToken })).status).toBe(401);
      const logouts = await auditEvents(acme.id, 'AUTH_LOGOUT');
      expect(logouts.some((e) => e.userId === member.id)).toBe(true);
    });

    it('refuses an access token offered as a refresh token with 401', async () => {
      const session = await login(t.http, acme.slug, member.email, member.password);
      const res = await t.http.post('/api/auth/refresh', { refreshToken: session.accessToken });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });

    it('logout takes no body: an empty one with a JSON Content-Type is fine, one with fields is 400 and ends nothing', async () => {
      const session = await login(t.http, acme.slug, member.email, member.password);
      const withField = await t.http.post('/api/auth/logout', { everywhere: true }, { token: session.accessToken });
      expect(withField.status).toBe(400);
      expect(withField.body.errors).toEqual([{ field: 'everywhere', message: 'should not exist' }]);
      expect((await t.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(200);
      const empty = await t.http.request('POST', '/api/auth/logout', { rawBody: '', contentType: 'text/plain', token: session.accessToken });
      expect(empty.status).toBe(204);
      expect((await t.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(401);
    });

    it('logout of one session leaves the user’s other sessions alone', async () => {
      const a = await login(t.http, acme.slug, member.email, member.password);
      const b = await login(t.http, acme.slug, member.email, member.password);
      await t.http.post('/api/auth/logout', undefined, { token: a.accessToken });
      expect((await t.http.get('/api/auth/me', { token: b.accessToken })).status).toBe(200);
    });
  });

  describe('access tokens', () => {
    const secret = () => t.config.JWT_SECRET!;
    const validClaims = () => {
      const now = Math.floor(Date.now() / 1000);
      return { ...decodeJwt(member.token), iat: now, exp: now + 600 };
    };

    it('a token forged with the right claims and secret is accepted (the forge is faithful)', async () => {
      const token = forgeJwt({ alg: 'HS256', typ: 'JWT' }, validClaims(), secret());
      expect((await t.http.get('/api/auth/me', { token })).status).toBe(200);
    });

    it.each([
      ['expired', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(), exp: Math.floor(Date.now() / 1000) - 10 }, secret())],
      ['signed with another secret', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, validClaims(), 'another-secret-0123456789-0123456789')],
      ['alg none', () => forgeJwt({ alg: 'none', typ: 'JWT' }, validClaims())],
      ['alg HS512 with the right secret', () => forgeJwt({ alg: 'HS512', typ: 'JWT' }, validClaims(), secret(), 'sha512')],
      ['malformed', () => 'not.a.jwt'],
      ['missing the session id', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(), sid: undefined }, secret())],
      ['with an unknown role', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(), role: 'root' }, secret())],
      ['of an unknown session', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(), sid: randomUUID() }, secret())],
      ['without an expiry', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(), exp: undefined }, secret())],
    ])('is refused when %s', async (_, make) => {
      const res = await t.http.get('/api/auth/me', { token: make() });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="saas-core"');
    });

    it('is refused with a non-Bearer scheme', async () => {
      const res = await t.http.get('/api/auth/me', { headers: { authorization: `Basic ${member.token}` } });
      expect(res.status).toBe(401);
    });
  });

  describe('X-Tenant-ID', () => {
    it('may confirm the caller’s own tenant by id or slug', async () => {
      for (const value of [acme.id, acme.slug, acme.id.toUpperCase()]) {
        expect((await t.http.get('/api/auth/me', { token: member.token, headers: { 'x-tenant-id': value } })).status).toBe(200);
      }
    });

    it('naming another tenant is 403 TENANT_MISMATCH and a SECURITY_VIOLATION in the caller’s tenant', async () => {
      const other = await createTenant(t.http);
      for (const value of [other.id, other.slug]) {
        const res = await t.http.get('/api/auth/me', { token: member.token, headers: { 'x-tenant-id': value, 'x-request-id': `mismatch-${value}` } });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('TENANT_MISMATCH');
      }
      const events = await auditEvents(acme.id, 'SECURITY_VIOLATION');
      expect(events.find((e) => e.requestId === `mismatch-${other.slug}`)).toMatchObject({ tenantId: acme.id, userId: member.id });
      expect(await auditEvents(other.id, 'SECURITY_VIOLATION')).toEqual([]);
    });
  });

  describe('users', () => {
    it('an admin creates users; e-mails are unique per tenant, case-insensitively', async () => {
      const email = `Someone-${uniqueSlug()}@Example.com`;
      const created = await t.http.post('/api/users', { email, password: 'password-123', role: 'member' }, { token: acme.admin.token });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ id: expect.any(String), email: email.toLowerCase(), role: 'member', createdAt: expect.any(String) });
      expect(created.body).not.toHaveProperty('password');
      const dup = await t.http.post('/api/users', { email: email.toUpperCase(), password: 'password-123', role: 'admin' }, { token: acme.admin.token });
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('CONFLICT');
      const other = await createTenant(t.http);
      const elsewhere = await t.http.post('/api/users', { email, password: 'password-123', role: 'member' }, { token: other.admin.token });
      expect(elsewhere.status).toBe(201);
    });

    it('a member calling an admin route gets 403 FORBIDDEN', async () => {
      for (const res of [
        await t.http.get('/api/users', { token: member.token }),
        await t.http.post('/api/users', { email: 'x@example.com', password: 'password-123', role: 'admin' }, { token: member.token }),
        await t.http.get('/api/audit-logs', { token: member.token }),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
    });

    it('lists users newest first with keyset pagination, never another tenant’s', async () => {
      const tenant = await createTenant(t.http);
      const users = [];
      for (let i = 0; i < 5; i++) users.push(await createUser(t.http, tenant));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: any = await t.http.get(`/api/users?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: tenant.admin.token });
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.data.map((u: { id: string }) => u.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...users.map((u) => u.id).reverse(), tenant.admin.id]);
    });

    it.each(['0', '101', '-1', 'abc', '1.5', '1e2'])('refuses limit=%s with 400', async (limit) => {
      const res = await t.http.get(`/api/users?limit=${limit}`, { token: acme.admin.token });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('refuses a cursor it did not make with 400', async () => {
      const first = await t.http.get('/api/users?limit=1', { token: acme.admin.token });
      const forged = Buffer.from(JSON.stringify(['2030-01-01T00:00:00.000Z', randomUUID()])).toString('base64url');
      for (const cursor of ['garbage', `${forged}.AAAAAAAAAAAAAAAAAAAAAA`, `${first.body.nextCursor}x`]) {
        const res = await t.http.get(`/api/users?cursor=${encodeURIComponent(cursor)}`, { token: acme.admin.token });
        expect(res.status).toBe(400);
      }
    });
  });
});
