import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { TestRedisServer } from '../../../test/support/redis-server';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { SlidingWindowRecord } from './sliding-window';

const W = 60_000;
/** Window k starts at k × W; tests start in window 1000 so that "previous window" exists. */
const T0 = 1000 * W;

interface Harness {
  at(ms: number): void;
  hit(key: string, limit: number, windowMs?: number): Promise<SlidingWindowRecord>;
}

/** Hits `n` times at the current time; returns how many were allowed. */
async function burst(h: Harness, key: string, limit: number, n: number): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < n; i++) if (!(await h.hit(key, limit)).isBlocked) allowed++;
  return allowed;
}

/** The same scenarios against both storages: the Lua script must count exactly as the in-process code. */
function slidingWindowContract(name: string, setup: () => Promise<Harness>) {
  describe(`${name}: sliding-window counts`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await setup();
      h.at(T0);
    });

    it('lets a fresh client make exactly `limit` hits, with the headers’ numbers', async () => {
      h.at(T0 + 15_000);
      const records: SlidingWindowRecord[] = [];
      for (let i = 0; i < 12; i++) records.push(await h.hit('a', 10));
      expect(records.filter((r) => !r.isBlocked)).toHaveLength(10);
      expect(records.map((r) => r.isBlocked)).toEqual([...Array(10).fill(false), true, true]);
      expect(records.slice(0, 10).map((r) => r.totalHits)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(records[0].timeToExpire).toBe(45); // seconds until the window turns
      expect(records[0].resetMs).toBe(45_000);
      // Full on its own: the next window, then until 1/10 of this one has slid out.
      expect(records[10].retryMs).toBe(45_000 + 6_000);
      expect(records[10].timeToBlockExpire).toBe(51);
    });

    it('keeps clients and keys apart', async () => {
      expect(await burst(h, 'a', 3, 5)).toBe(3);
      expect(await burst(h, 'b', 3, 5)).toBe(3);
    });

    it('lets no double burst through at the window edge', async () => {
      h.at(T0 + W - 1); // last millisecond of window 1000
      expect(await burst(h, 'a', 10, 10)).toBe(10);
      h.at(T0 + W); // first millisecond of window 1001: the previous window still weighs in full
      expect(await burst(h, 'a', 10, 10)).toBe(0);
      h.at(T0 + W + W / 2); // half of it has slid out: ceil(10 × 0.5) = 5 still count
      expect(await burst(h, 'a', 10, 10)).toBe(5);
      h.at(T0 + 2 * W + W - 1); // window 1002 ends: window 1001 (5 hits) weighs almost nothing
      expect(await burst(h, 'a', 10, 20)).toBe(9);
    });

    it('rounds the previous share up: never one hit more than the limit', async () => {
      h.at(T0 + 10);
      expect(await burst(h, 'a', 3, 3)).toBe(3);
      h.at(T0 + W + 1); // ceil(3 × 59999/60000) = 3
      expect(await burst(h, 'a', 3, 3)).toBe(0);
      h.at(T0 + W + 20_000); // ceil(3 × 40000/60000) = 2 → one more
      expect(await burst(h, 'a', 3, 3)).toBe(1);
    });

    it('tells exactly when a refused client may come back', async () => {
      h.at(T0 + W - 1);
      await burst(h, 'a', 10, 10);
      h.at(T0 + W + 1000);
      const refused = await h.hit('a', 10);
      expect(refused.isBlocked).toBe(true);
      // Allowed once ceil(10 × (W − e) / W) ≤ 9, i.e. e ≥ 6000 ms into the window.
      expect(refused.retryMs).toBe(5000);
      h.at(T0 + W + 5999);
      expect((await h.hit('a', 10)).isBlocked).toBe(true);
      h.at(T0 + W + 6000);
      expect((await h.hit('a', 10)).isBlocked).toBe(false);
    });

    it('forgets a client after two quiet windows', async () => {
      expect(await burst(h, 'a', 5, 5)).toBe(5);
      h.at(T0 + 2 * W);
      expect(await burst(h, 'a', 5, 6)).toBe(5);
    });

    it('reports the first refusal of each window once', async () => {
      await burst(h, 'a', 2, 2);
      const first = await h.hit('a', 2);
      const second = await h.hit('a', 2);
      expect([first.firstRefusalInWindow, second.firstRefusalInWindow]).toEqual([true, false]);
      h.at(T0 + W + 1);
      const nextWindow = await h.hit('a', 2);
      expect(nextWindow.isBlocked).toBe(true);
      expect(nextWindow.firstRefusalInWindow).toBe(true);
    });

    it('does not count refused hits', async () => {
      h.at(T0 + W - 1);
      expect(await burst(h, 'a', 4, 100)).toBe(4); // 96 refused
      h.at(T0 + W + W / 2); // half of the 4 allowed ones still weigh; the 96 refused ones do not
      expect(await burst(h, 'a', 4, 10)).toBe(2);
    });
  });
}

slidingWindowContract('MemoryThrottlerStorage', async () => {
  let now = 0;
  const storage = new MemoryThrottlerStorage({ clock: () => now });
  return { at: (ms) => (now = ms), hit: (key, limit, windowMs = W) => storage.increment(key, windowMs, limit) };
});

describe('MemoryThrottlerStorage housekeeping', () => {
  it('keeps one entry per key however many hits it takes', async () => {
    let now = T0;
    const storage = new MemoryThrottlerStorage({ clock: () => now });
    for (let i = 0; i < 50_000; i++) {
      now += 10;
      storage.hit('a', W, 1_000_000);
    }
    expect(storage.size).toBe(1);
  });

  it('sweeps keys whose windows are over', () => {
    let now = T0;
    const storage = new MemoryThrottlerStorage({ clock: () => now });
    storage.hit('old', W, 5);
    now = T0 + W;
    storage.hit('recent', W, 5);
    now = T0 + 2 * W;
    expect(storage.sweep()).toBe(1);
    expect(storage.size).toBe(1);
  });

  it('evicts the oldest key when full of live ones', () => {
    const storage = new MemoryThrottlerStorage({ clock: () => T0, maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd']) storage.hit(key, W, 5);
    expect(storage.size).toBe(3);
    expect(storage.hit('a', W, 1).isBlocked).toBe(false); // 'a' was evicted: counted afresh
  });
});

describe('RedisThrottlerStorage', () => {
  let server: TestRedisServer;
  let client: Redis;
  beforeAll(async () => {
    server = await TestRedisServer.start();
    client = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 0 });
  });
  afterAll(async () => {
    await client.quit();
    await server.kill();
  });

  slidingWindowContract('RedisThrottlerStorage', async () => {
    let now = 0;
    const storage = new RedisThrottlerStorage(client, `unit-${randomBytes(4).toString('hex')}:`, () => now);
    return { at: (ms) => (now = ms), hit: (key, limit, windowMs = W) => storage.increment(key, windowMs, limit) };
  });

  it("uses Redis's own clock by default and prefixes its keys, which expire", async () => {
    const prefix = `unit-${randomBytes(4).toString('hex')}:`;
    const storage = new RedisThrottlerStorage(client, prefix);
    const records = [];
    for (let i = 0; i < 4; i++) records.push(await storage.increment('k', W, 3));
    expect(records.map((r) => r.isBlocked)).toEqual([false, false, false, true]);
    const ttl = await client.pttl(`${prefix}k`);
    expect(ttl).toBeGreaterThan(W - 1);
    expect(ttl).toBeLessThanOrEqual(2 * W);
  });

  it('survives a Redis that lost its script cache (EVALSHA falls back to EVAL, counted once)', async () => {
    const storage = new RedisThrottlerStorage(client, `unit-${randomBytes(4).toString('hex')}:`, () => T0);
    await storage.increment('k', W, 5);
    await client.script('FLUSH');
    const record = await storage.increment('k', W, 5);
    expect(record.totalHits).toBe(2);
  });
});
