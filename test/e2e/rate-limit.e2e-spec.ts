import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditService } from '../../src/modules/audit/audit.service';
import { RateLimitService } from '../../src/modules/rate-limit/rate-limit.service';
import { TestResponse } from '../support/http';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';

const LIMITS = { RATE_LIMIT_AUTH: '3', RATE_LIMIT_WALLETS: '4', RATE_LIMIT_CART: '5', RATE_LIMIT_ORDERS: '2', RATE_LIMIT_DEFAULT: '6' };
const WINDOW_SECONDS = 30;

/** A client address of its own per test (TRUST_PROXY=1 believes the right-most X-Forwarded-For entry). */
let nextClient = 1;
const newClient = () => `198.51.100.${nextClient++}`;
const from = (ip: string, extra: Record<string, string> = {}) => ({ headers: { 'x-forwarded-for': ip, ...extra } });

const statuses = (responses: TestResponse[]) => responses.map((r) => r.status);
const passed = (responses: TestResponse[]) => responses.filter((r) => r.status !== 429).length;

function expectRateLimitHeaders(res: TestResponse, limit: number): void {
  expect(res.headers['x-ratelimit-limit']).toBe(String(limit));
  expect(Number(res.headers['x-ratelimit-remaining'])).toBeGreaterThanOrEqual(0);
  const reset = Number(res.headers['x-ratelimit-reset']);
  expect(reset).toBeGreaterThanOrEqual(1);
  expect(reset).toBeLessThanOrEqual(WINDOW_SECONDS);
}

function expectRefusal(res: TestResponse, limit: number): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.body).toMatchObject({ type: '/errors/rate-limited', status: 429, code: 'RATE_LIMITED', title: 'Too many requests' });
  expect(typeof res.body.requestId).toBe('string');
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  // The whole limit is back when the window resets: that is when to retry.
  expect(res.headers['retry-after']).toBe(res.headers['x-ratelimit-reset']);
  expectRateLimitHeaders(res, limit);
  expect(res.headers['x-ratelimit-remaining']).toBe('0');
}

describe('rate limits (per path family, per client)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ...LIMITS, RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS), TRUST_PROXY: '1' });
  });
  afterAll(() => t.close());

  // Matched routes (401 without credentials) and paths no route serves yet (404) alike.
  it.each([
    ['GET', '/api/auth/me', 3],
    ['GET', '/api/auth', 3],
    ['POST', '/api/auth/logout', 3],
    ['GET', '/api/wallets', 4],
    ['GET', '/api/wallets/3f1c/transactions', 4],
    ['GET', '/api/svm/cart', 5],
    ['DELETE', '/api/svm/cart/items/abc', 5],
    ['GET', '/api/svm/orders', 2],
    ['GET', '/api/users', 6],
    ['GET', '/api/svm/products', 6],
    ['GET', '/api/no-such-thing?x=1', 6],
  ])('%s %s: exactly %i requests per window, then 429 with Retry-After', async (method, path, limit) => {
    const client = newClient();
    const responses = await Promise.all(Array.from({ length: limit + 5 }, () => t.http.request(method, path, from(client))));
    expect(passed(responses)).toBe(limit);
    for (const res of responses) {
      expectRateLimitHeaders(res, limit);
      if (res.status === 429) expectRefusal(res, limit);
      else expect(res.status).not.toBe(200); // none of these is served without credentials (or at all)
    }
  });

  it('counts down X-RateLimit-Remaining one request at a time', async () => {
    const client = newClient();
    const remaining: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await t.http.get('/api/auth/me', from(client));
      remaining.push(res.headers['x-ratelimit-remaining']);
    }
    expect(remaining).toEqual(['2', '1', '0', '0']);
  });

  it('gives each path family its own budget', async () => {
    const client = newClient();
    for (let i = 0; i < 3; i++) await t.http.get('/api/auth/me', from(client));
    expect((await t.http.get('/api/auth/me', from(client))).status).toBe(429);
    const other = await t.http.get('/api/users', from(client));
    expect(other.status).toBe(401);
    expect(other.headers['x-ratelimit-limit']).toBe('6');
    expect(other.headers['x-ratelimit-remaining']).toBe('5');
  });

  it('counts requests with bad credentials, and ones refused before any handler (malformed JSON)', async () => {
    const client = newClient();
    const badToken = await t.http.get('/api/auth/me', { ...from(client), token: 'not-a-jwt' });
    expect(badToken.status).toBe(401);
    expect(badToken.headers['x-ratelimit-remaining']).toBe('2');
    const malformed = await t.http.post('/api/auth/login', undefined, { ...from(client), rawBody: '{"tenant":', contentType: 'application/json' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers['x-ratelimit-remaining']).toBe('1');
    const wrongPassword = await t.http.post('/api/auth/login', { tenant: 'nobody', email: 'a@b.example', password: 'wrong-password-1' }, from(client));
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.headers['x-ratelimit-remaining']).toBe('0');
    expectRefusal(await t.http.get('/api/auth/me', { ...from(client), token: 'not-a-jwt' }), 3);
  });

  it('never limits the health probes, nor anything outside /api such as /metrics', async () => {
    const client = newClient();
    const paths = ['/api/health', '/api/health/live', '/api/health/ready', '/api/health/startup', '/metrics'];
    const responses = await Promise.all(paths.flatMap((path) => Array.from({ length: 15 }, () => t.http.get(path, from(client)))));
    for (const res of responses) {
      expect(res.status).not.toBe(429);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
    const metricsRegistered = t.app.getHttpAdapter().getInstance().hasRoute({ method: 'GET', url: '/metrics' });
    const healthStatuses = statuses(responses.slice(0, 15 * 4));
    expect(new Set(healthStatuses)).toEqual(new Set([200]));
    expect(new Set(statuses(responses.slice(15 * 4)))).toEqual(new Set([metricsRegistered ? 200 : 404]));
  });

  it('records one RATE_LIMIT_EXCEEDED per client and pattern per window, without a tenant for anonymous clients', async () => {
    const client = newClient();
    await Promise.all(Array.from({ length: 10 }, () => t.http.get('/api/auth/me', from(client))));
    await Promise.all(Array.from({ length: 10 }, () => t.http.get('/api/svm/orders', from(client))));
    await flushAudit(t);
    const events = await rateLimitEvents(t, 'none', client);
    expect(events.map((e) => e.resourceId).sort()).toEqual(['/api/auth/*', '/api/svm/orders/*']);
    for (const event of events) {
      expect(event).toMatchObject({ type: 'RATE_LIMIT_EXCEEDED', severity: 'WARNING', tenantId: null, userId: null, ip: client });
    }
    expect(events.find((e) => e.resourceId === '/api/auth/*')!.metadata).toMatchObject({
      pattern: '/api/auth/*',
      limit: 3,
      windowSeconds: WINDOW_SECONDS,
      method: 'GET',
      path: '/api/auth/me',
    });
  });

  it("records the event in the tenant of the caller's valid access token", async () => {
    const setup = newClient();
    const slug = `rl-${randomBytes(4).toString('hex')}`;
    const tenant = await t.http.post(
      '/api/admin/tenants',
      { slug, name: 'Rate limited', adminEmail: `admin@${slug}.example`, adminPassword: 'Correct-horse-9-battery' },
      { ...from(setup), token: PLATFORM_TOKEN },
    );
    expect(tenant.status).toBe(201);
    const login = await t.http.post(
      '/api/auth/login',
      { tenant: slug, email: `admin@${slug}.example`, password: 'Correct-horse-9-battery' },
      from(setup),
    );
    expect(login.status).toBe(200);

    const client = newClient();
    const responses = await Promise.all(Array.from({ length: 9 }, () => t.http.get('/api/users', { ...from(client), token: login.body.accessToken })));
    expect(passed(responses)).toBe(6);
    await flushAudit(t);
    const events = await rateLimitEvents(t, tenant.body.id, client);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ tenantId: tenant.body.id, resourceId: '/api/*', ip: client });
    expect(events[0].userId).toEqual(expect.any(String));
  });

  it('records the event without a tenant when the access token’s session has ended', async () => {
    const setup = newClient();
    const slug = `rl-${randomBytes(4).toString('hex')}`;
    const credentials = { tenant: slug, email: `admin@${slug}.example`, password: 'Correct-horse-9-battery' };
    const tenant = await t.http.post(
      '/api/admin/tenants',
      { slug, name: 'Logged out', adminEmail: credentials.email, adminPassword: credentials.password },
      { ...from(setup), token: PLATFORM_TOKEN },
    );
    const login = await t.http.post('/api/auth/login', credentials, from(setup));
    expect((await t.http.post('/api/auth/logout', undefined, { ...from(newClient()), token: login.body.accessToken })).status).toBe(204);

    const client = newClient();
    const responses = await Promise.all(Array.from({ length: 9 }, () => t.http.get('/api/users', { ...from(client), token: login.body.accessToken })));
    expect(passed(responses)).toBe(6);
    await flushAudit(t);
    expect(await rateLimitEvents(t, tenant.body.id, client)).toEqual([]);
    const [event] = await rateLimitEvents(t, 'none', client);
    expect(event).toMatchObject({ tenantId: null, userId: null, resourceId: '/api/*' });
  });

  it('reports its rejections and storage for the metrics', () => {
    const stats = t.app.get(RateLimitService).stats();
    expect(stats.rejections).toBeGreaterThan(0);
    expect(stats.storage).toBe(t.config.REDIS_URL ? 'redis' : 'memory');
    // In-process keys: the counters themselves without Redis, only the (idle) fallback's with it.
    if (stats.storage === 'memory') expect(stats.keys).toBeGreaterThan(0);
    else expect(stats.keys).toBe(0);
    expect(stats.degraded).toBe(false);
  });
});

describe('rate limit windows', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_AUTH: '2', RATE_LIMIT_WINDOW_SECONDS: '2' });
  });
  afterAll(() => t.close());

  it('give the whole limit back once X-RateLimit-Reset seconds have passed', async () => {
    const spent = [];
    for (let i = 0; i < 3; i++) spent.push(await t.http.get('/api/auth/me'));
    expect(statuses(spent)).toEqual([401, 401, 429]);
    const reset = Number(spent[2].headers['x-ratelimit-reset']);
    expect(reset).toBeGreaterThanOrEqual(1);
    expect(reset).toBeLessThanOrEqual(2);
    expect(spent[2].headers['retry-after']).toBe(String(reset));
    await sleep(reset * 1000);
    const after = [];
    for (let i = 0; i < 3; i++) after.push(await t.http.get('/api/auth/me'));
    expect(statuses(after)).toEqual([401, 401, 429]);
    expect(after.map((r) => r.headers['x-ratelimit-remaining'])).toEqual(['1', '0', '0']);
  });
});

describe('rate limits without TRUST_PROXY (the socket address is the client)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ...LIMITS, RATE_LIMIT_AUTH: '5' });
  });
  afterAll(() => t.close());

  it('counts 100 requests with random X-Forwarded-For and X-Real-IP against one client', async () => {
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.http.get('/api/auth/me', { headers: { 'x-forwarded-for': `203.0.113.${i}, 10.0.0.${i}`, 'x-real-ip': `192.0.2.${i}` } }),
      ),
    );
    expect(passed(responses)).toBe(5);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(95);
  });
});

describe('rate limits with TRUST_PROXY=1', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ...LIMITS, TRUST_PROXY: '1' });
  });
  afterAll(() => t.close());

  it('takes the right-most X-Forwarded-For entry, never a forgeable one to its left', async () => {
    const proxySeen = '203.0.113.77';
    const forged = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.http.get('/api/auth/me', { headers: { 'x-forwarded-for': `10.9.9.${i}, ${proxySeen}` } })),
    );
    expect(passed(forged)).toBe(3);
    const otherClient = await t.http.get('/api/auth/me', { headers: { 'x-forwarded-for': `${proxySeen}, 203.0.113.78` } });
    expect(otherClient.status).toBe(401);
    expect(otherClient.headers['x-ratelimit-remaining']).toBe('2');
  });
});

describe('rate limit settings', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_AUTH: '1', RATE_LIMIT_DEFAULT: '1' });
  });
  afterAll(() => t.close());

  it('RATE_LIMIT_ENABLED=false turns the limiter off: no refusal, no headers', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, () => t.http.get('/api/auth/me')));
    expect(new Set(statuses(responses))).toEqual(new Set([401]));
    for (const res of responses) expect(res.headers['x-ratelimit-limit']).toBeUndefined();
  });
});

async function rateLimitEvents(t: TestApp, tenantId: string, ip: string): Promise<any[]> {
  const res = await t.http.get(`/api/admin/audit-logs?type=RATE_LIMIT_EXCEEDED&tenantId=${tenantId}&limit=100`, {
    ...from(newClient()),
    token: PLATFORM_TOKEN,
  });
  expect(res.status).toBe(200);
  return res.body.data.filter((e: any) => e.ip === ip);
}

/**
 * Twice: a flush already under way (the buffer's timer) may have passed its
 * last check of the queue before our event came; the second drains anything left.
 */
async function flushAudit(t: TestApp): Promise<void> {
  await t.app.get(AuditService).flush();
  await t.app.get(AuditService).flush();
}
