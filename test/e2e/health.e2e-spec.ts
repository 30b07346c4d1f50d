import { startTestApp, TestApp } from '../support/test-app';

describe('health probes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it.each(['/api/health', '/api/health/live'])('%s answers 200 with a Terminus body', async (path) => {
    const res = await t.http.get(path);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
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
