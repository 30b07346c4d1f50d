import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

/**
 * The fixed-window counter both storages implement (the Redis one in Lua,
 * with the same arithmetic). A client's window opens with its first hit and
 * lasts `windowMs`; it allows `limit` hits, and the first hit after it ends
 * opens a new one with the whole limit again. Refused hits are not counted.
 *
 * Why this one: API.md states limits as requests per window and
 * X-RateLimit-Reset as "seconds until the window resets", and clients act
 * on it: after Reset seconds they expect their whole limit back, which this
 * gives (Retry-After equals Reset). A sliding-window counter, used before,
 * never lets twice the limit through around a window's end, but the window
 * it reports does not give the limit back when it turns: the previous one
 * still weighs. The cost of a fixed window is that burst: a client can use
 * its limit at the end of one window and again at the start of the next.
 * Opening windows at a client's first hit, not at multiples of the clock,
 * keeps that to clients that hit twice at the very end and start.
 * O(1) memory and work per hit either way: three numbers per client and rule.
 */
export interface WindowState {
  /** When the current window opened (ms); -Infinity: never. */
  start: number;
  /** Hits allowed in it. */
  count: number;
  /** A refusal of this window was reported already (the audit event is once per window). */
  reported: boolean;
}

/** A storage answer: the record @nestjs/throttler expects, plus what the headers and the audit dedupe need. */
export interface RateLimitRecord extends ThrottlerStorageRecord {
  /** Milliseconds until the window ends, when the whole limit is back: X-RateLimit-Reset, and Retry-After on a refusal. */
  resetMs: number;
  /** True on the first refused hit of this key in this window: the one to audit. */
  firstRefusalInWindow: boolean;
}

export const newWindowState = (): WindowState => ({ start: -Infinity, count: 0, reported: false });

/**
 * Applies one hit at `now` to `state` (mutated in place, so a warm key
 * allocates nothing but its answer) and returns the storage record.
 */
export function applyHit(state: WindowState, now: number, windowMs: number, limit: number): RateLimitRecord {
  if (now >= state.start + windowMs) {
    state.start = now;
    state.count = 0;
    state.reported = false;
  } else if (now < state.start) {
    // The clock stepped back: stay in the open window, as if at its start.
    now = state.start;
  }
  const allowed = state.count < limit;
  if (allowed) state.count++;
  const firstRefusalInWindow = !allowed && !state.reported;
  if (firstRefusalInWindow) state.reported = true;
  return windowRecord(allowed, state.count, state.start + windowMs - now, firstRefusalInWindow);
}

/** The record of one hit, whichever storage counted it. */
export function windowRecord(allowed: boolean, count: number, resetMs: number, firstRefusalInWindow: boolean): RateLimitRecord {
  const resetSeconds = Math.ceil(resetMs / 1000);
  return {
    totalHits: count,
    timeToExpire: resetSeconds,
    isBlocked: !allowed,
    timeToBlockExpire: allowed ? 0 : resetSeconds,
    resetMs,
    firstRefusalInWindow,
  };
}
