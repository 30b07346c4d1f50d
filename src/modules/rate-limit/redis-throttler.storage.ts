import { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { RateLimitRecord, windowRecord } from './fixed-window';

/**
 * One hit, atomically, in one round trip: the fixed-window counter of
 * fixed-window.ts over a hash {s: window start (ms), c: hits allowed in it,
 * r: 1 once a refusal of it was reported}. Time is Redis's own clock (one
 * clock for every instance) unless the caller passes one (tests). The key
 * expires with its window. Returns {allowed, count, resetMs, firstRefusalInWindow}.
 */
const HIT_SCRIPT = `
local windowMs = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local s = redis.call('HMGET', KEYS[1], 's', 'c', 'r')
local start = tonumber(s[1])
local c = tonumber(s[2]) or 0
local r = tonumber(s[3]) or 0
if start == nil or now >= start + windowMs then
  start = now
  c = 0
  r = 0
elseif now < start then
  now = start
end
local allowed = 0
local first = 0
if c < limit then
  c = c + 1
  allowed = 1
elseif r == 0 then
  r = 1
  first = 1
end
redis.call('HSET', KEYS[1], 's', start, 'c', c, 'r', r)
redis.call('PEXPIRE', KEYS[1], start + windowMs - now)
return {allowed, c, start + windowMs - now, first}
`;

type HitReply = [number, number, number, number];
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
  async increment(key: string, ttl: number, limit: number): Promise<RateLimitRecord> {
    const [allowed, count, resetMs, first] = await this.redis.rateLimitHit(
      this.keyPrefix + key,
      ttl,
      limit,
      this.clock ? this.clock() : '',
    );
    return windowRecord(allowed === 1, count, resetMs, first === 1);
  }
}
