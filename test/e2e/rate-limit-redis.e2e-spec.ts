import { randomBytes } from 'node:crypto';
import { AuditService } from '../../src/modules/audit/audit.service';
import { RateLimitService } from '../../src/modules/rate-limit/rate-limit.service';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';

/**
 * Limits shared by several instances through one Redis. The embedded run has
 * no Redis (REDIS_URL unset), so which block runs is chosen at load time:
 * with REDIS_URL (.ci/run's PostgreSQL+Redis pass), three instances on one
 * Redis; without it, the single-instance in-process storage is checked.
 * The outage suite (rate-limit-redis-outage) runs in both, on a Redis of its own.
 */
jest.setTimeout(60_000);

if (process.env.REDIS_URL) {
  describe('rate limits shared by three instances through Redis', () => {
    const instances: TestApp[] = [];
    beforeAll(async () => {
      const shared = { REDIS_KEY_PREFIX: `rl-shared-${randomBytes(4).toString('hex')}:`, RATE_LIMIT_AUTH: '10', TRUST_PROXY: '1' };
      for (let i = 0; i < 3; i++) instances.push(await startTestApp(shared));
    }, 120_000);
    afterAll(() => Promise.all(instances.map((t) => t.close())));

    it('lets exactly 10 of 100 concurrent requests through, wherever they land', async () => {
      for (const t of instances) expect(t.app.get(RateLimitService).mode()).toBe('redis');
      const client = '198.51.100.200';
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => instances[i % 3].http.get('/api/auth/me', { headers: { 'x-forwarded-for': client } })),
      );
      expect(responses.filter((r) => r.status === 401)).toHaveLength(10);
      expect(responses.filter((r) => r.status === 429)).toHaveLength(90);
      // One atomic counter behind them: the ten allowed hits saw the counts 1..10, each once.
      const remaining = responses.filter((r) => r.status === 401).map((r) => Number(r.headers['x-ratelimit-remaining']));
      expect(remaining.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('records the refusal once for all instances, not once per instance', async () => {
      const client = '198.51.100.201';
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => instances[i % 3].http.get('/api/auth/me', { headers: { 'x-forwarded-for': client } })),
      );
      let events = 0;
      for (const t of instances) {
        await flushAudit(t);
        const res = await t.http.get('/api/admin/audit-logs?type=RATE_LIMIT_EXCEEDED&tenantId=none', {
          token: PLATFORM_TOKEN,
          headers: { 'x-forwarded-for': '198.51.100.250' },
        });
        expect(res.status).toBe(200);
        events += res.body.data.filter((e: any) => e.ip === client).length;
      }
      expect(events).toBe(1);
    });
  });
} else {
  describe('rate limits without REDIS_URL', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ RATE_LIMIT_AUTH: '4' });
    });
    afterAll(() => t.close());

    it('count in process, for one instance, and say so', async () => {
      const responses = await Promise.all(Array.from({ length: 20 }, () => t.http.get('/api/auth/me')));
      expect(responses.filter((r) => r.status === 401)).toHaveLength(4);
      expect(t.app.get(RateLimitService).stats()).toMatchObject({ storage: 'memory', degraded: false, rejections: 16 });
    });
  });
}

/**
 * Twice: a flush already under way (the buffer's timer) may have passed its
 * last check of the queue before our event came; the second drains anything left.
 */
async function flushAudit(t: TestApp): Promise<void> {
  await t.app.get(AuditService).flush();
  await t.app.get(AuditService).flush();
}
