import { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { SlidingWindowRecord } from './sliding-window';

/**
 * One hit, atomically, in one round trip: the sliding-window counter of
 * sliding-window.ts over a hash {w: window index, c: current, p: previous,
 * a: window of the last reported refusal}. Time is Redis's own clock (one
 * clock for every instance) unless the caller passes one (tests). The key
 * expires once its current window can no longer weigh on a later hit.
 * Returns {allowed, count, resetMs, retryMs, firstRefusalInWindow}.
 */
const HIT_SCRIPT = `
local windowMs = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local index = math.floor(now / windowMs)
local s = redis.call('HMGET', KEYS[1], 'w', 'c', 'p', 'a')
local w = tonumber(s[1])
local c = tonumber(s[2]) or 0
local p = tonumber(s[3]) or 0
local a = tonumber(s[4]) or -1
if w == nil or w < index - 1 then
  c = 0
  p = 0
elseif w == index - 1 then
  p = c
  c = 0
elseif w > index then
  index = w
  now = index * windowMs
end
local elapsed = now - index * windowMs
local weighted = 0
if p > 0 then weighted = math.ceil(p * (windowMs - elapsed) / windowMs) end
local allowed = 0
local retry = 0
local first = 0
if weighted + c < limit then
  c = c + 1
  allowed = 1
else
  if c >= limit then
    retry = windowMs - elapsed + math.ceil(windowMs * (c - limit + 1) / c)
  else
    retry = math.ceil(windowMs * (p - limit + 1 + c) / p) - elapsed
  end
  if a ~= index then
    a = index
    first = 1
  end
end
redis.call('HSET', KEYS[1], 'w', index, 'c', c, 'p', p, 'a', a)
redis.call('PEXPIRE', KEYS[1], 2 * windowMs - elapsed)
return {allowed, weighted + c, windowMs - elapsed, retry, first}
`;

type HitReply = [number, number, number, number, number];
type WithHitCommand = Redis & {
  rateLimitHit(key: string, windowMs: number, limit: number, now: number | ''): Promise<HitReply>;
};

/**
 * Rate-limit counters shared by every instance through Redis. The script is
 * sent by SHA (ioredis falls back to EVAL when Redis lost its script cache,
 * which runs nothing twice). Errors are the caller's to handle: see
 * FailoverThrottlerStorage.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly redis: WithHitCommand;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    /** Only tests pass a clock; production uses Redis's TIME. */
    private readonly clock?: () => number,
  ) {
    if (typeof (redis as unknown as Partial<WithHitCommand>).rateLimitHit !== 'function') {
      redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    }
    this.redis = redis as unknown as WithHitCommand;
  }

  /** `ttl` is the window in milliseconds (as @nestjs/throttler passes it); `blockDuration` is not used. */
  async increment(key: string, ttl: number, limit: number): Promise<SlidingWindowRecord> {
    const [allowed, count, resetMs, retryMs, first] = await this.redis.rateLimitHit(
      this.keyPrefix + key,
      ttl,
      limit,
      this.clock ? this.clock() : '',
    );
    return {
      totalHits: count,
      timeToExpire: Math.ceil(resetMs / 1000),
      isBlocked: allowed === 0,
      timeToBlockExpire: Math.ceil(retryMs / 1000),
      resetMs,
      retryMs,
      firstRefusalInWindow: first === 1,
    };
  }
}
