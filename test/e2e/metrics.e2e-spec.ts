import { randomUUID } from 'node:crypto';
import { AuditService } from '../../src/modules/audit/audit.service';
import { MetricsService } from '../../src/modules/metrics/metrics.service';
import { MetricsSources } from '../../src/modules/metrics/metrics-sources';
import { freePort } from '../support/own-services';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text';
import { createTenant } from '../support/factories';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';

// Booting the app (PGlite and its migrations) takes seconds on a busy machine.
jest.setTimeout(60_000);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MEMORY_MESSAGE = /^\d+MB \/ \d+MB \(\d+%\)$/;

describe('metrics', () => {
  let t: TestApp;
  let userToken: string;
  const redisConfigured = !!process.env.REDIS_URL;

  beforeAll(async () => {
    t = await startTestApp();
    userToken = (await createTenant(t.http)).admin.token;
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    return parsePrometheusText(res.text);
  };

  describe('GET /api/metrics', () => {
    it('answers the public summary in the shape of API.md', async () => {
      const res = await t.http.get('/api/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(['checks', 'status', 'timestamp', 'uptime']);
      expect(res.body.status).toBe('healthy');
      expect(res.body.timestamp).toMatch(ISO_TIMESTAMP);
      expect(Number.isInteger(res.body.uptime) && res.body.uptime >= 0).toBe(true);

      const names = res.body.checks.map((c: { name: string }) => c.name);
      expect(names).toEqual(redisConfigured ? ['database', 'memory', 'redis'] : ['database', 'memory']);
      const [database, memory] = res.body.checks;
      expect(database).toEqual({ name: 'database', status: 'healthy', latency: expect.any(Number) });
      expect(database.latency).toBeGreaterThanOrEqual(0);
      expect(memory).toEqual({ name: 'memory', status: 'healthy', message: expect.stringMatching(MEMORY_MESSAGE) });
      if (redisConfigured) expect(res.body.checks[2]).toEqual({ name: 'redis', status: 'healthy', latency: expect.any(Number) });
    });

    it('detailed=false is the public summary too', async () => {
      const res = await t.http.get('/api/metrics?detailed=false');
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['checks', 'status', 'timestamp', 'uptime']);
    });

    it.each([
      ['no token', undefined],
      ['a wrong token', 'not-the-platform-token-0123456789'],
      ['a user access token', 'user'],
    ])('refuses detailed=true with %s: 401 UNAUTHENTICATED', async (_, token) => {
      const res = await t.http.get('/api/metrics?detailed=true', { token: token === 'user' ? userToken : token });
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', type: '/errors/unauthenticated' });
      expect(res.body.memory).toBeUndefined();
    });

    it('refuses any other detailed value without the token, and rejects it with the token', async () => {
      expect((await t.http.get('/api/metrics?detailed=1')).status).toBe(401);
      const res = await t.http.get('/api/metrics?detailed=yes', { token: PLATFORM_TOKEN });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect((await t.http.get('/api/metrics?verbose=true')).status).toBe(400);
    });

    it('detailed=true with the platform token adds memory, rateLimiter, audit, database and process', async () => {
      const res = await t.http.get('/api/metrics?detailed=true', { token: PLATFORM_TOKEN });
      expect(res.status).toBe(200);
      const body = res.body;
      expect(Object.keys(body).sort()).toEqual(
        ['audit', 'checks', 'database', 'idempotency', 'memory', 'process', 'rateLimiter', 'status', 'timestamp', 'uptime'].sort(),
      );
      expect(body.status).toBe('healthy');
      expect(body.memory).toEqual({
        rss: expect.any(Number),
        heapUsed: expect.any(Number),
        heapTotal: expect.any(Number),
        heapLimit: expect.any(Number),
        external: expect.any(Number),
        arrayBuffers: expect.any(Number),
      });
      expect(body.memory.heapUsed).toBeLessThan(body.memory.heapLimit);
      expect(body.rateLimiter).toEqual(expect.objectContaining({ storage: process.env.REDIS_URL ? 'redis' : 'memory', rejections: expect.any(Number) }));
      expect(body.audit).toEqual({
        buffered: expect.any(Number),
        flushed: expect.any(Number),
        retried: expect.any(Number),
        dropped: expect.any(Number),
        failedFlushes: expect.any(Number),
      });
      expect(body.database.embedded).toBe(!process.env.DATABASE_URL);
      expect(body.database.pool).toEqual({
        total: expect.any(Number),
        inUse: expect.any(Number),
        idle: expect.any(Number),
        waiting: expect.any(Number),
        max: expect.any(Number),
      });
      // PGlite is one session; a PostgreSQL pool holds several.
      expect(process.env.DATABASE_URL ? body.database.pool.max > 1 : body.database.pool.max === 1).toBe(true);
      for (const table of ['tenants', 'users', 'sessions', 'refresh_tokens', 'audit_logs', 'audit_chain_heads', 'schema_migrations']) {
        expect(Number.isInteger(body.database.records[table]) && body.database.records[table] >= 0).toBe(true);
      }
      expect(body.process).toEqual({
        pid: process.pid,
        uptime: expect.any(Number),
        nodeVersion: process.version,
        platform: process.platform,
        cpuUsage: { user: expect.any(Number), system: expect.any(Number) },
      });
    });

    it('record counts follow the tables (statistics estimates, so polled)', async () => {
      await createTenant(t.http);
      const deadline = Date.now() + 20_000;
      let records: Record<string, number> = {};
      while (Date.now() < deadline) {
        records = (await t.http.get('/api/metrics?detailed=true', { token: PLATFORM_TOKEN })).body.database.records;
        if (records.tenants >= 2 && records.users >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(records.tenants).toBeGreaterThanOrEqual(2);
      expect(records.users).toBeGreaterThanOrEqual(2);
    });

    it('shows what other modules register as metrics sources', async () => {
      const sources = t.app.get(MetricsSources);
      sources.register('example', async () => ({ replays: 2 }));
      try {
        const res = await t.http.get('/api/metrics?detailed=true', { token: PLATFORM_TOKEN });
        expect(res.body.example).toEqual({ replays: 2 });
        expect(res.body.idempotency).toEqual(expect.objectContaining({ claimed: expect.any(Number), replayed: expect.any(Number) }));
        expect(() => sources.register('audit', () => 1)).toThrow(/reserved/);
      } finally {
        sources.unregister('example');
      }
    });
  });

  describe('GET /metrics (Prometheus)', () => {
    it('serves the text format at the root, outside /api, without credentials', async () => {
      const res = await t.http.get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(() => parsePrometheusText(res.text)).not.toThrow();
      expect((await t.http.get('/api/metrics')).headers['content-type']).toMatch(/^application\/json/);
    });

    it('has the named series with their types', async () => {
      const families = await scrape();
      const expected: Record<string, string> = {
        http_requests_total: 'counter',
        http_request_duration_seconds: 'histogram',
        rate_limit_rejections_total: 'counter',
        idempotent_replays_total: 'counter',
        audit_buffered_events: 'gauge',
        audit_flushed_events_total: 'counter',
        audit_dropped_events_total: 'counter',
        db_pool_connections_in_use: 'gauge',
        db_pool_connections_idle: 'gauge',
        db_pool_requests_waiting: 'gauge',
        db_pool_connections_max: 'gauge',
        process_cpu_user_seconds_total: 'counter',
        process_resident_memory_bytes: 'gauge',
        nodejs_heap_size_used_bytes: 'gauge',
        nodejs_eventloop_lag_seconds: 'gauge',
      };
      for (const [name, type] of Object.entries(expected)) {
        expect({ name, type: families.get(name)?.type, help: !!families.get(name)?.help }).toEqual({ name, type, help: true });
      }
      const detailed = await t.http.get('/api/metrics?detailed=true', { token: PLATFORM_TOKEN });
      expect(sampleValue(families.get('db_pool_connections_max'))).toBe(detailed.body.database.pool.max);
    });

    it('counts every request by method, route template and status, even many at once', async () => {
      const route = { method: 'GET', route: '/api/auth/me', status: '200' };
      const before = await scrape();
      const countBefore = sampleValue(before.get('http_requests_total'), route) ?? 0;
      const histogramBefore = sampleValue(before.get('http_request_duration_seconds'), route, 'http_request_duration_seconds_count') ?? 0;

      const answers = await Promise.all(Array.from({ length: 40 }, () => t.http.get('/api/auth/me', { token: userToken })));
      expect(answers.every((a) => a.status === 200)).toBe(true);

      const after = await scrape();
      expect(sampleValue(after.get('http_requests_total'), route)).toBe(countBefore + 40);
      expect(sampleValue(after.get('http_request_duration_seconds'), route, 'http_request_duration_seconds_count')).toBe(histogramBefore + 40);
      expect(sampleValue(after.get('http_request_duration_seconds'), { ...route, le: '+Inf' }, 'http_request_duration_seconds_bucket')).toBe(
        histogramBefore + 40,
      );
      expect(sampleValue(after.get('http_requests_total'), { method: 'GET', route: '/api/auth/me', status: '401' })).toBeUndefined();
      const unauthorized = await t.http.get('/api/auth/me');
      expect(unauthorized.status).toBe(401);
      expect(sampleValue((await scrape()).get('http_requests_total'), { method: 'GET', route: '/api/auth/me', status: '401' })).toBe(1);
    });

    it('labels routes by template and unmatched paths as one fixed route, never with raw ids', async () => {
      const id = randomUUID();
      expect((await t.http.get(`/api/nothing-here/${id}`)).status).toBe(404);
      expect((await t.http.get(`/api/users/${id}?cursor=${id}`, { token: userToken })).status).toBe(404);
      expect((await t.http.request('PROPFIND', `/api/${id}`)).status).toBe(404);
      expect((await t.http.get(`/api/users?limit=5&x=${id}`, { token: userToken })).status).toBe(400);

      const families = await scrape();
      const requests = families.get('http_requests_total')!;
      expect(sampleValue(requests, { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(2);
      expect(sampleValue(requests, { method: 'OTHER', route: 'unmatched', status: '404' })).toBe(1);
      expect(sampleValue(requests, { method: 'GET', route: '/api/users', status: '400' })).toBe(1);
      for (const family of families.values()) {
        for (const sample of family.samples) {
          for (const value of Object.values(sample.labels)) expect(value).not.toMatch(UUID);
          if (sample.labels.route) expect(sample.labels.route).toMatch(/^(\/[\w\-:*]*)+$|^unmatched$/);
        }
      }
    });

    it('exposes the counters other modules increment', async () => {
      const metrics = t.app.get(MetricsService);
      metrics.rateLimitRejections.inc({ pattern: '/api/auth/*' });
      metrics.rateLimitRejections.inc({ pattern: '/api/auth/*' });
      metrics.idempotentReplays.inc();
      const families = await scrape();
      expect(sampleValue(families.get('rate_limit_rejections_total'), { pattern: '/api/auth/*' })).toBe(2);
      expect(sampleValue(families.get('idempotent_replays_total'))).toBe(1);
    });

    it('reads the audit buffer at scrape time', async () => {
      const audit = t.app.get(AuditService);
      const failed = await t.http.post('/api/auth/login', { tenant: 'no-such-tenant', email: 'x@example.com', password: 'wrong password' });
      expect(failed.status).toBe(401);
      await audit.flush();
      const stats = audit.stats();
      expect(stats.flushed).toBeGreaterThanOrEqual(1);
      const families = await scrape();
      expect(sampleValue(families.get('audit_buffered_events'))).toBe(stats.buffered);
      expect(sampleValue(families.get('audit_flushed_events_total'))).toBe(stats.flushed);
      expect(sampleValue(families.get('audit_dropped_events_total'))).toBe(stats.dropped);
    });

    it('reports the pool as seen by the driver', async () => {
      const families = await scrape();
      const inUse = sampleValue(families.get('db_pool_connections_in_use'))!;
      const idle = sampleValue(families.get('db_pool_connections_idle'))!;
      expect(inUse).toBeGreaterThanOrEqual(0);
      expect(idle).toBeGreaterThanOrEqual(0);
      expect(inUse + idle).toBeLessThanOrEqual(sampleValue(families.get('db_pool_connections_max'))!);
      expect(sampleValue(families.get('db_pool_requests_waiting'))).toBe(0);
    });

    it('is described in the OpenAPI document next to /api/metrics', async () => {
      const doc = await t.http.get('/api/docs-json');
      expect(doc.body.paths['/metrics'].get).toBeDefined();
      expect(doc.body.paths['/api/metrics'].get).toBeDefined();
    });
  });
});

describe('metrics without PLATFORM_ADMIN_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PLATFORM_ADMIN_TOKEN: '' });
  });
  afterAll(() => t.close());

  it('refuses detailed metrics to everyone, keeps the summary public', async () => {
    for (const token of [undefined, PLATFORM_TOKEN, 'anything-at-all-0123456789']) {
      const res = await t.http.get('/api/metrics?detailed=true', { token });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    }
    expect((await t.http.get('/api/metrics')).status).toBe(200);
  });
});

describe('metrics with Redis configured but unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
  });
  afterAll(() => t.close());

  it('reports degraded with 200: Redis is optional', async () => {
    const res = await t.http.get('/api/metrics');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('degraded');
    expect(res.body.checks.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      ['database', 'healthy'],
      ['memory', 'healthy'],
      ['redis', 'unhealthy'],
    ]);
    expect(res.body.checks[2]).toEqual({ name: 'redis', status: 'unhealthy', latency: expect.any(Number), message: 'unreachable' });
  });
});
