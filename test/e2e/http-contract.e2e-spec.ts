import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';
import { createTenant, TestTenant, uniqueSlug } from '../support/factories';
import { rawRequest, TestResponse } from '../support/http';

const BODY_LIMIT = 4096;

function expectSecurityHeaders(res: TestResponse) {
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['x-xss-protection']).toBe('1; mode=block');
  expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
  expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  expect(res.headers['permissions-policy']).toEqual(expect.stringContaining('camera=()'));
  expect(res.headers['permissions-policy']).toEqual(expect.stringContaining('microphone=()'));
  expect(res.headers['permissions-policy']).toEqual(expect.stringContaining('geolocation=()'));
  expect(res.headers['x-powered-by']).toBeUndefined();
  expect(res.headers['x-request-id']).toBeTruthy();
}

function expectProblem(res: TestResponse, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, type: `/errors/${code.toLowerCase().replace(/_/g, '-')}` });
  expect(typeof res.body.title).toBe('string');
  expect(res.body.detail).toEqual(expect.any(String));
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
  expect(res.text).not.toMatch(/\bat .+\.(js|ts):\d+|node_modules|\/src\/|SELECT |INSERT /);
}

describe('HTTP contract: headers, errors, body handling', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    tenant = await createTenant(t.http);
  });
  afterAll(() => t.close());

  describe('security headers', () => {
    it.each([
      ['a success', () => t.http.get('/api/health')],
      ['an unknown route', () => t.http.get('/api/does-not-exist')],
      ['a 401', () => t.http.get('/api/auth/me')],
      ['a 400', () => t.http.post('/api/auth/login', { nope: true })],
      ['a 415', () => t.http.request('POST', '/api/auth/login', { rawBody: 'x', contentType: 'text/plain' })],
      ['a 413', () => t.http.post('/api/auth/login', { tenant: 'x', email: 'a@b.c', password: 'x'.repeat(BODY_LIMIT) })],
    ])('are on %s', async (_, send) => {
      const res = await send();
      expectSecurityHeaders(res);
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    });

    it('give Swagger UI only what it needs', async () => {
      const res = await t.http.get('/api/docs');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expectSecurityHeaders(res);
      const csp = res.headers['content-security-policy'];
      expect(csp).toMatch(/script-src 'self'/);
      expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
      expect(csp).not.toMatch(/unsafe-eval|\*|http:|https:/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
    });
  });

  describe('X-Request-Id', () => {
    it('echoes a well-formed incoming id, in the header and in problem bodies', async () => {
      const res = await t.http.get('/api/nowhere', { headers: { 'x-request-id': 'abc.DEF_123:xyz-9' } });
      expect(res.headers['x-request-id']).toBe('abc.DEF_123:xyz-9');
      expect(res.body.requestId).toBe('abc.DEF_123:xyz-9');
    });

    it.each([['a'.repeat(129)], ['bad id with spaces'], ['semi;colon'], ['']])('replaces %j with a generated one', async (incoming) => {
      const res = await t.http.get('/api/health', { headers: { 'x-request-id': incoming } });
      expect(res.headers['x-request-id']).not.toBe(incoming);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('generates a distinct id per request', async () => {
      const [a, b] = await Promise.all([t.http.get('/api/health'), t.http.get('/api/health')]);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });
  });

  describe('problem details', () => {
    it('answer unknown routes with 404 NOT_FOUND', async () => {
      expectProblem(await t.http.get('/api/nothing/here'), 404, 'NOT_FOUND');
      expectProblem(await t.http.delete('/api/health'), 404, 'NOT_FOUND');
    });

    it('list field errors for validation failures, and only for them', async () => {
      const res = await t.http.post('/api/auth/login', { tenant: 'x', email: 'a@b.c', password: 'p', extra: 1 });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'extra' })]));
      const unauthorized = await t.http.get('/api/auth/me');
      expectProblem(unauthorized, 401, 'UNAUTHENTICATED');
      expect(unauthorized.body.errors).toBeUndefined();
    });

    it('refuse wrong types without coercion', async () => {
      const res = await t.http.post('/api/auth/login', { tenant: 123, email: ['a'], password: null });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'password', 'tenant']);
    });

    it('name the type a wrong-typed value lacks, not the ranges it also misses', async () => {
      const login = await t.http.post('/api/auth/login', { tenant: 123, email: 'a@b.c', password: 'p' });
      expect(login.body.errors).toEqual([{ field: 'tenant', message: 'must be a string' }]);
      const page = await t.http.get('/api/users?limit=abc', { token: tenant.admin.token });
      expectProblem(page, 400, 'VALIDATION_FAILED');
      expect(page.body.errors).toEqual([{ field: 'limit', message: 'must be an integer number' }]);
      const tooBig = await t.http.get('/api/users?limit=101', { token: tenant.admin.token });
      expect(tooBig.body.errors).toEqual([{ field: 'limit', message: 'must not be greater than 100' }]);
      const negative = await t.http.get('/api/users?limit=-1', { token: tenant.admin.token });
      expect(negative.body.errors).toEqual([{ field: 'limit', message: 'must not be less than 1' }]);
    });
  });

  describe('requests that are not valid HTTP', () => {
    it.each([
      ['a malformed request line', 'GARBAGE\r\n\r\n', 400, 'VALIDATION_FAILED'],
      ['a header name with a space', 'GET /api/health HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n', 400, 'VALIDATION_FAILED'],
      [
        'both Content-Length and Transfer-Encoding',
        'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}',
        400,
        'VALIDATION_FAILED',
      ],
      ['headers over the size limit', `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'REQUEST_HEADERS_TOO_LARGE'],
    ])('with %s are answered as a problem with the security headers', async (_, raw, status, code) => {
      const res = await rawRequest(t.http.baseUrl, raw);
      expectProblem(res, status, code);
      expectSecurityHeaders(res);
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.connection).toBe('close');
    });

    it('answer a valid request pipelined before the bad one first', async () => {
      const valid = `GET /api/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tenant.admin.token}\r\n\r\n`;
      const res = await rawRequest(t.http.baseUrl, `${valid}GARBAGE\r\n\r\n`);
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/^\{"data":\[.*\}HTTP\/1\.1 400 Bad Request\r\n[\s\S]*"code":"VALIDATION_FAILED"/s);
    });
  });

  describe('request bodies', () => {
    it('over the size limit are 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await t.http.post('/api/auth/login', { tenant: 'x', email: 'a@b.c', password: 'x'.repeat(BODY_LIMIT) });
      expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it.each([
      ['text/plain', 'hello'],
      ['application/x-www-form-urlencoded', 'tenant=x&email=y&password=z'],
      ['application/xml', '<a/>'],
      ['multipart/form-data; boundary=x', '--x--'],
    ])('of type %s are 415 UNSUPPORTED_MEDIA_TYPE', async (contentType, rawBody) => {
      expectProblem(await t.http.request('POST', '/api/auth/login', { rawBody, contentType }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it.each([['{"tenant": '], ['not json'], ['{"a":1}{'], [' ']])('that are malformed JSON (%j) are 400', async (rawBody) => {
      const res = await t.http.request('POST', '/api/auth/login', { rawBody, contentType: 'application/json' });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual([{ field: 'body', message: 'must be valid JSON' }]);
    });

    it.each(['application/json', 'text/plain'])('that are empty count as none, whatever the Content-Type (%s): the required fields are missing', async (contentType) => {
      const res = await t.http.request('POST', '/api/auth/login', { rawBody: '', contentType });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'password', 'tenant']);
    });

    it.each([['[]'], ['null'], ['"x"'], ['0']])('that are JSON but not an object (%s) are 400', async (rawBody) => {
      const res = await t.http.request('POST', '/api/auth/login', { rawBody, contentType: 'application/json' });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
    });

    it.each([
      ['__proto__', '{"tenant":"x","email":"a@b.c","password":"p","__proto__":{"polluted":true}}'],
      ['constructor.prototype', '{"tenant":"x","email":"a@b.c","password":"p","constructor":{"prototype":{"polluted":true}}}'],
      ['nested __proto__', '{"slug":"abc","name":{"__proto__":{"polluted":true}}}'],
    ])('with %s keys are refused and pollute nothing', async (_, rawBody) => {
      const res = await t.http.request('POST', '/api/auth/login', { rawBody, contentType: 'application/json' });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('have NUL characters removed before they are stored', async () => {
      const slug = uniqueSlug();
      const res = await t.http.post(
        '/api/admin/tenants',
        { slug, name: 'Null\u0000Byte\u0000Shop', adminEmail: `a@${slug}.test`, adminPassword: 'password-123' },
        { token: PLATFORM_TOKEN },
      );
      expect(res.status).toBe(201);
      expect(res.body.name).toBe('NullByteShop');
    });

    it('with over-long strings are refused', async () => {
      const res = await t.http.post('/api/users', { email: 'long@example.com', password: 'x'.repeat(3000), role: 'member' }, { token: tenant.admin.token });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors[0].field).toBe('password');
    });

    it('with unknown fields are refused', async () => {
      const res = await t.http.post('/api/users', { email: 'extra@example.com', password: 'password-1', role: 'member', isAdmin: true }, { token: tenant.admin.token });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual([{ field: 'isAdmin', message: 'should not exist' }]);
      expect(res.body.detail).toBe('isAdmin should not exist');
    });
  });

  describe('OpenAPI', () => {
    it('declares bearer auth and the X-Tenant-ID header', async () => {
      const res = await t.http.get('/api/docs-json');
      expect(res.status).toBe(200);
      expect(res.body.openapi).toMatch(/^3\./);
      expect(res.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      const login = res.body.paths['/api/auth/me'].get;
      expect(login.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'X-Tenant-ID', in: 'header' })]));
      expect(login.security).toEqual([{ bearer: [] }]);
      // Only where a user's access token is taken: the header is checked against it.
      const parametersOf = (path: string, method: string) => (res.body.paths[path][method].parameters ?? []).map((p: any) => p.name);
      for (const [path, method] of [['/api/auth/login', 'post'], ['/api/health/ready', 'get'], ['/api/admin/tenants', 'post'], ['/metrics', 'get']]) {
        expect([path, parametersOf(path, method)]).toEqual([path, expect.not.arrayContaining(['X-Tenant-ID'])]);
      }
    });

    it('declares the response headers API.md promises, where they are sent', async () => {
      const doc = (await t.http.get('/api/docs-json')).body;
      const headersOf = (path: string, method: string, status: string) => Object.keys(doc.paths[path][method].responses[status].headers ?? {});
      const rateLimit = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
      expect(headersOf('/api/wallets', 'get', '200')).toEqual(expect.arrayContaining(['X-Request-Id', ...rateLimit]));
      expect(headersOf('/api/wallets', 'get', '429')).toEqual(expect.arrayContaining(['Retry-After', ...rateLimit]));
      expect(headersOf('/api/health/ready', 'get', '200')).toEqual(['X-Request-Id']);
      expect(headersOf('/metrics', 'get', '200')).toEqual(['X-Request-Id']);
      expect(headersOf('/api/wallets/transfers', 'post', '201')).toContain('Idempotent-Replayed');
      expect(headersOf('/api/svm/cart', 'get', '200')).toContain('ETag');
      // The live answers carry them.
      const live = await t.http.get('/api/wallets', { token: tenant.admin.token });
      for (const name of ['X-Request-Id', ...rateLimit]) expect(live.headers[name.toLowerCase()]).toBeDefined();
    });

    it('describes request bodies as the validation enforces them', async () => {
      const doc = (await t.http.get('/api/docs-json')).body;
      const schemas = doc.components.schemas;
      for (const name of ['CreateWalletDto', 'CreateTransferDto', 'CheckoutDto', 'CreateUserDto', 'CreateTenantDto', 'LoginDto', 'UpdateProductDto']) {
        expect([name, schemas[name].additionalProperties]).toEqual([name, false]);
      }
      expect(schemas.UpdateProductDto.minProperties).toBe(1);
      expect(schemas.CreateUserDto.properties.email.format).toBe('email');
      const slug = new RegExp(schemas.CreateTenantDto.properties.slug.pattern);
      expect([slug.test('acme-shop'), slug.test('3f2504e0-4f89-41d3-9a0c-0305e82c3301')]).toEqual([true, false]);
      const limit = doc.paths['/api/users'].get.parameters.find((p: any) => p.name === 'limit');
      expect(limit.schema.type).toBe('integer');
      const key = doc.paths['/api/wallets/transfers'].post.parameters.find((p: any) => p.name === 'Idempotency-Key');
      expect([new RegExp(key.schema.pattern).test('key-1'), new RegExp(key.schema.pattern).test('caf\u00e9')]).toEqual([true, false]);
    });
  });
});
