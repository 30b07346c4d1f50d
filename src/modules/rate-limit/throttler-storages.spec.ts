import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { TestRedisServer } from '../../../test/support/redis-server';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { RateLimitRecord } from './fixed-window';

const W = 60_000;
/** Tests start at a clock far from 0, as a real one is. */
const T0 = 1000 * W;

interface Harness {
  at(ms: number): void;
  hit(key: string, limit: number, windowMs?: number): Promise<RateLimitRecord>;
}

/** Hits `n` times at the current time; returns how many were allowed. */
async function burst(h: Harness, key: string, limit: number, n: number): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < n; i++) if (!(await h.hit(key, limit)).isBlocked) allowed++;
  return allowed;
}

/** The same scenarios against both storages: the Lua script must count exactly as the in-process code. */
function fixedWindowContract(name: string, setup: () => Promise<Harness>) {
  describe(`${name}: fixed-window counts`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await setup();
      h.at(T0);
    });

    it('lets a fresh client make exactly `limit` hits, with the headers’ numbers', async () => {
      const records: RateLimitRecord[] = [];
      for (let i = 0; i < 12; i++) {
        h.at(T0 + i * 1000);
        records.push(await h.hit('a', 10));
      }
      expect(records.map((r) => r.isBlocked)).toEqual([...Array(10).fill(false), true, true]);
      expect(records.slice(0, 10).map((r) => r.totalHits)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // The window opened with the first hit: it ends 60 s after it, whenever the later hits came.
      expect(records.map((r) => r.resetMs)).toEqual(records.map((_, i) => W - i * 1000));
      expect(records[0].timeToExpire).toBe(60);
      expect(records[10]).toMatchObject({ totalHits: 10, timeToExpire: 50, timeToBlockExpire: 50 });
      expect(records[9].timeToBlockExpire).toBe(0);
    });

    it('keeps clients and keys apart', async () => {
      expect(await burst(h, 'a', 3, 5)).toBe(3);
      expect(await burst(h, 'b', 3, 5)).toBe(3);
    });

    it('gives the whole limit back when the window ends, as Reset and Retry-After said', async () => {
      h.at(T0 + 10_000);
      expect(await burst(h, 'a', 3, 3)).toBe(3);
      h.at(T0 + 25_000);
      const refused = await h.hit('a', 3);
      expect(refused).toMatchObject({ isBlocked: true, resetMs: 45_000, timeToExpire: 45, timeToBlockExpire: 45 });
      h.at(T0 + 25_000 + 45_000 - 1);
      expect((await h.hit('a', 3)).isBlocked).toBe(true);
      h.at(T0 + 25_000 + 45_000);
      const reopened = await h.hit('a', 3);
      expect(reopened).toMatchObject({ isBlocked: false, totalHits: 1, resetMs: W });
      expect(await burst(h, 'a', 3, 5)).toBe(2);
    });

    it('does not count refused hits', async () => {
      expect(await burst(h, 'a', 4, 100)).toBe(4);
      h.at(T0 + W);
      expect(await burst(h, 'a', 4, 10)).toBe(4);
    });

    it('stays in the open window when the clock steps back', async () => {
      h.at(T0 + 30_000);
      expect(await burst(h, 'a', 2, 2)).toBe(2);
      h.at(T0 + 20_000);
      expect(await h.hit('a', 2)).toMatchObject({ isBlocked: true, resetMs: W });
    });

    it('reports the first refusal of each window once', async () => {
      await burst(h, 'a', 2, 2);
      const first = await h.hit('a', 2);
      const second = await h.hit('a', 2);
      expect([first.firstRefusalInWindow, second.firstRefusalInWindow]).toEqual([true, false]);
      h.at(T0 + W);
      await burst(h, 'a', 2, 2);
      const nextWindow = await h.hit('a', 2);
      expect(nextWindow.isBlocked).toBe(true);
      expect(nextWindow.firstRefusalInWindow).toBe(true);
    });
  });
}

fixedWindowContract('MemoryThrottlerStorage', async () => {
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
    now = T0 + W / 2;
    storage.hit('recent', W, 5);
    now = T0 + W;
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

  fixedWindowContract('RedisThrottlerStorage', async () => {
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
    expect(ttl).toBeGreaterThan(W - 5_000);
    expect(ttl).toBeLessThanOrEqual(W);
  });

  it('survives a Redis that lost its script cache (EVALSHA falls back to EVAL, counted once)', async () => {
    const storage = new RedisThrottlerStorage(client, `unit-${randomBytes(4).toString('hex')}:`, () => T0);
    await storage.increment('k', W, 5);
    await client.script('FLUSH');
    const record = await storage.increment('k', W, 5);
    expect(record.totalHits).toBe(2);
  });
});
