import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { RateLimitService } from '../../src/modules/rate-limit/rate-limit.service';
import { TestRedisServer } from '../support/redis-server';
import { startTestApp, TestApp } from '../support/test-app';

const LIMIT = 5;
/** Only a hang detector: a request that takes this long is stuck on the dead connection. */
const HANG_DETECTOR_MS = 4000;
jest.setTimeout(60_000);

interface Answer {
  status: number;
  remaining: string | null;
}

/** GET /api/auth/me as `client` (TRUST_PROXY=1); aborted, and so failing the test, if it hangs. */
async function hit(t: TestApp, client: string): Promise<Answer> {
  const response = await fetch(`${t.http.baseUrl}/api/auth/me`, {
    headers: { 'x-forwarded-for': client },
    signal: AbortSignal.timeout(HANG_DETECTOR_MS),
  });
  await response.text();
  return { status: response.status, remaining: response.headers.get('x-ratelimit-remaining') };
}

/** `perInstance` requests to each instance, all in flight at once. */
function flood(instances: TestApp[], client: string, perInstance: number): Promise<Answer[][]> {
  return Promise.all(instances.map((t) => Promise.all(Array.from({ length: perInstance }, () => hit(t, client)))));
}

const allowed = (answers: Answer[]) => answers.filter((a) => a.status === 401).length;

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting: ${what}`);
}

/**
 * Redis stopped under two instances and started again. Runs in every pass,
 * on a redis-server of its own (killed by pid; the shared one is untouched).
 */
describe('rate limits while Redis is down', () => {
  let redis: TestRedisServer;
  const instances: TestApp[] = [];
  const prefix = `rl-outage-${randomBytes(4).toString('hex')}:`;
  const limiters = () => instances.map((t) => t.app.get(RateLimitService));

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_AUTH: String(LIMIT), TRUST_PROXY: '1' };
    for (let i = 0; i < 2; i++) instances.push(await startTestApp(env));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(instances.map((t) => t.close()));
    await redis.kill();
  }, 60_000);

  it('shares one budget while Redis is up', async () => {
    expect(limiters().map((l) => l.mode())).toEqual(['redis', 'redis']);
    const answers = await flood(instances, '198.51.100.10', 15);
    expect(allowed(answers.flat())).toBe(LIMIT);
  });

  it('keeps answering at once, and keeps limits per instance, when Redis dies', async () => {
    await redis.kill();
    const answers = await flood(instances, '198.51.100.11', 15);
    // Every request was answered (none hit the hang detector), each instance allowing its own LIMIT.
    expect(answers.map((perInstance) => perInstance.length)).toEqual([15, 15]);
    expect(answers.map(allowed)).toEqual([LIMIT, LIMIT]);
    for (const answer of answers.flat()) expect(answer.remaining).not.toBeNull();

    for (const limiter of limiters()) {
      expect(limiter.stats()).toMatchObject({ storage: 'memory', degraded: true });
      expect(limiter.stats().fallbackHits).toBeGreaterThanOrEqual(15);
    }
    const ready = await instances[0].http.get('/api/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.redis.status).toBe('degraded');
  });

  it('shares limits again once Redis is back, and replays nothing counted meanwhile', async () => {
    await redis.resume();
    await waitUntil(() => limiters().every((l) => l.mode() === 'redis'), 'both instances back on Redis');
    const answers = await flood(instances, '198.51.100.12', 15);
    expect(allowed(answers.flat())).toBe(LIMIT);

    // The restarted Redis is empty: had any hit of the outage been re-sent after the reconnection,
    // the outage client would have a key now.
    const probe = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    try {
      expect(await probe.keys(`${prefix}rl:*198.51.100.11`)).toEqual([]);
      expect(await probe.keys(`${prefix}rl:*198.51.100.12`)).toHaveLength(1);
    } finally {
      await probe.quit();
    }
    for (const limiter of limiters()) expect(limiter.stats().degraded).toBe(false);
  });
});
