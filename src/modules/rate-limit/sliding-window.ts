import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

/**
 * The sliding-window counter both storages implement (the Redis one in Lua,
 * with the same arithmetic). Time is cut into fixed windows of `windowMs`;
 * a client keeps two counters: hits allowed in the current window and in the
 * previous one. A hit is allowed while
 *
 *     ceil(previous × (windowMs − elapsed) / windowMs) + current < limit
 *
 * i.e. the previous window still weighs for the share of it that a sliding
 * window ending now would overlap. Why this one:
 * - O(1) memory and work per hit (two integers), unlike a log of timestamps;
 * - no double burst at a window edge, unlike fixed windows: right after the
 *   edge the previous window still counts in full, so a client that used its
 *   limit at the end of one window gets nothing more at the start of the next;
 * - rounding the previous share UP errs on the strict side: a fresh client
 *   gets exactly `limit` hits, never `limit + 1`;
 * - unlike GCRA/token buckets, the headers keep their plain meaning
 *   (limit per window, remaining, seconds until the window turns).
 * Refused hits are not counted, so a client that keeps hammering is let in
 * again as soon as its earlier allowed hits slide out.
 */
export interface WindowCounters {
  /** Index of the current fixed window: floor(time / windowMs). */
  window: number;
  current: number;
  previous: number;
  /** Window index of the last refusal reported as "first in its window" (-1: none). */
  reportedWindow: number;
}

/** A storage answer: the record @nestjs/throttler expects, plus what the audit dedupe needs. */
export interface SlidingWindowRecord extends ThrottlerStorageRecord {
  /** Milliseconds until the current fixed window ends (what X-RateLimit-Reset reports). */
  resetMs: number;
  /** Milliseconds until a hit would be allowed again; 0 when this one was. */
  retryMs: number;
  /** True on the first refused hit of this key in this window: the one to audit. */
  firstRefusalInWindow: boolean;
}

/** ceil(previous × (windowMs − elapsed) / windowMs), exact for previous × windowMs < 2^53. */
export function previousShare(previous: number, elapsed: number, windowMs: number): number {
  return previous === 0 ? 0 : Math.ceil((previous * (windowMs - elapsed)) / windowMs);
}

/**
 * Applies one hit at `now` to `counters` (mutated in place, so a warm key
 * allocates nothing but its answer) and returns the storage record.
 */
export function applyHit(counters: WindowCounters, now: number, windowMs: number, limit: number): SlidingWindowRecord {
  let index = Math.floor(now / windowMs);
  if (counters.window === index - 1) {
    counters.previous = counters.current;
    counters.current = 0;
  } else if (counters.window < index - 1) {
    counters.previous = 0;
    counters.current = 0;
  } else if (counters.window > index) {
    // The clock stepped back: stay in the newer window, as if at its start.
    index = counters.window;
    now = index * windowMs;
  }
  counters.window = index;
  const elapsed = now - index * windowMs;
  const weighted = previousShare(counters.previous, elapsed, windowMs);
  const allowed = weighted + counters.current < limit;
  if (allowed) counters.current++;
  const resetMs = windowMs - elapsed;
  let retryMs = 0;
  let firstRefusalInWindow = false;
  if (!allowed) {
    retryMs = retryDelay(counters, elapsed, windowMs, limit);
    firstRefusalInWindow = counters.reportedWindow !== index;
    counters.reportedWindow = index;
  }
  return {
    totalHits: weighted + counters.current,
    timeToExpire: Math.ceil(resetMs / 1000),
    isBlocked: !allowed,
    timeToBlockExpire: Math.ceil(retryMs / 1000),
    resetMs,
    retryMs,
    firstRefusalInWindow,
  };
}

/** How long until `previousShare + current < limit` holds again (the Retry-After of a refusal). */
function retryDelay(counters: WindowCounters, elapsed: number, windowMs: number, limit: number): number {
  const { current, previous } = counters;
  if (current >= limit) {
    // Full on its own: wait for the next window, then until this window's share drops below the limit.
    return windowMs - elapsed + Math.ceil((windowMs * (current - limit + 1)) / current);
  }
  // Held back by the previous window's share: wait until it has slid out enough.
  return Math.ceil((windowMs * (previous - limit + 1 + current)) / previous) - elapsed;
}

export const newCounters = (): WindowCounters => ({ window: -2, current: 0, previous: 0, reportedWindow: -1 });
