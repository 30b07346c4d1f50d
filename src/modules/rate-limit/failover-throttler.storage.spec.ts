import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { FailoverThrottlerStorage } from './failover-throttler.storage';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { RateLimitRecord } from './fixed-window';

const W = 60_000;
const record = (totalHits: number): RateLimitRecord => ({
  totalHits,
  timeToExpire: 60,
  isBlocked: false,
  timeToBlockExpire: 0,
  resetMs: W,
  firstRefusalInWindow: false,
});

/** An ioredis stand-in: a status and the events the failover listens to. */
class FakeClient extends EventEmitter {
  status = 'ready';
  set(status: string, event?: string) {
    this.status = status;
    if (event) this.emit(event);
  }
}

describe('FailoverThrottlerStorage', () => {
  beforeAll(() => Logger.overrideLogger(false));
  let now: number;
  let client: FakeClient;
  let redisHit: jest.Mock<Promise<RateLimitRecord>, [string, number, number]>;
  let memory: MemoryThrottlerStorage;
  let storage: FailoverThrottlerStorage;

  beforeEach(() => {
    now = 1000 * W;
    client = new FakeClient();
    redisHit = jest.fn(async (_key: string, _ttl: number, _limit: number) => record(1));
    memory = new MemoryThrottlerStorage({ clock: () => now });
    storage = new FailoverThrottlerStorage(client as unknown as Redis, { increment: redisHit } as unknown as RedisThrottlerStorage, memory, () => now);
  });

  it('uses Redis while its client is ready', async () => {
    await storage.increment('k', W, 5);
    expect(redisHit).toHaveBeenCalledTimes(1);
    expect(storage.usingRedis).toBe(true);
    expect(memory.size).toBe(0);
  });

  it('never calls a client that is not ready: the hit is counted in process at once', async () => {
    client.set('reconnecting', 'close');
    const records = [];
    for (let i = 0; i < 4; i++) records.push(await storage.increment('k', W, 3));
    expect(redisHit).not.toHaveBeenCalled();
    expect(records.map((r) => r.isBlocked)).toEqual([false, false, false, true]);
    expect(storage.usingRedis).toBe(false);
    expect(storage.fallbackHits).toBe(4);
  });

  it('after a failed call, counts in process and leaves Redis alone for a second, then probes it once', async () => {
    redisHit.mockRejectedValueOnce(new Error('Command timed out'));
    expect((await storage.increment('k', W, 5)).totalHits).toBe(1); // the in-process count
    expect(storage.redisFailures).toBe(1);
    expect(storage.usingRedis).toBe(false);
    await storage.increment('k', W, 5);
    expect(redisHit).toHaveBeenCalledTimes(1);

    now += 1000;
    let release!: () => void;
    redisHit.mockImplementationOnce(() => new Promise((resolve) => (release = () => resolve(record(7)))));
    const probe = storage.increment('k', W, 5);
    // While the probe is out, other hits do not queue behind it.
    expect((await storage.increment('k', W, 5)).totalHits).toBe(3);
    release();
    expect((await probe).totalHits).toBe(7);
    expect(storage.usingRedis).toBe(true);
    await storage.increment('k', W, 5);
    expect(redisHit).toHaveBeenCalledTimes(3);
  });

  it('returns to Redis when the client is ready again, without replaying anything', async () => {
    client.set('reconnecting', 'close');
    await storage.increment('k', W, 5);
    client.set('ready', 'ready');
    expect(storage.usingRedis).toBe(true);
    await storage.increment('k', W, 5);
    expect(redisHit).toHaveBeenCalledTimes(1);
  });
});
