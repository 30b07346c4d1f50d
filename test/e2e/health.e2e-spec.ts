import { parsePrometheusText, sampleValue } from '../support/prometheus-text';
import { startTestApp, TestApp } from '../support/test-app';

describe('health probes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it.each(['/api/health', '/api/health/live'])('%s answers 200 with a Terminus body, never cached', async (path) => {
    const res = await t.http.get(path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    const head = await t.http.request('HEAD', path);
    expect([head.status, head.text]).toEqual([200, '']);
    expect((await t.http.post(path, {})).status).toBe(404);
  });

  it('counts liveness answers in the Prometheus metrics and documents them in OpenAPI', async () => {
    const count = async () => {
      const families = parsePrometheusText((await t.http.get('/metrics')).text);
      return sampleValue(families.get('http_requests_total'), { method: 'GET', route: '/api/health/live', status: '200' }) ?? 0;
    };
    const before = await count();
    await Promise.all(Array.from({ length: 5 }, () => t.http.get('/api/health/live')));
    expect(await count()).toBe(before + 5);

    const doc = await t.http.get('/api/docs-json');
    for (const path of ['/api/health', '/api/health/live']) {
      expect(doc.body.paths[path].get.responses['200'].content['application/json'].schema.required).toEqual(['status', 'details']);
    }
  });

  it('readiness checks the database and the heap', async () => {
    const res = await t.http.get('/api/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details.database.status).toBe('up');
    expect(res.body.details.memory_heap.status).toBe('up');
    expect(res.body.details.redis.status).toBe('up');
  });

  it('startup turns 200 once migrations ran and the service listens', async () => {
    const res = await t.http.get('/api/health/startup');
    expect(res.status).toBe(200);
    expect(res.body.details.startup.status).toBe('up');
  });
});
