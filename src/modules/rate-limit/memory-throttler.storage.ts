import { ThrottlerStorage } from '@nestjs/throttler';
import { applyHit, newCounters, SlidingWindowRecord, WindowCounters } from './sliding-window';

interface Entry extends WindowCounters {
  windowMs: number;
}

export interface MemoryStorageOptions {
  /** Injected in tests; `Date.now` otherwise. */
  clock?: () => number;
  /** How often expired keys are swept. */
  sweepIntervalMs?: number;
  /** Past this many keys, the oldest are evicted (a flood of distinct clients must not exhaust memory). */
  maxKeys?: number;
}

const DEFAULT_MAX_KEYS = 1_000_000;

/**
 * The in-process sliding-window store: one map entry of four integers per
 * client and rule, updated in place, so a hit costs one map lookup whatever
 * the number of hits before it. Keys whose two windows are over are swept on
 * a timer. Serves alone without REDIS_URL, and as the fallback while Redis is
 * unreachable (then limits hold per instance).
 */
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => number;
  private readonly maxKeys: number;
  private timer?: NodeJS.Timeout;
  private lastEmergencySweep = -Infinity;

  constructor(private readonly options: MemoryStorageOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  /** `ttl` is the window in milliseconds (as @nestjs/throttler passes it); `blockDuration` is not used: a refusal lasts until the window has slid enough. */
  increment(key: string, ttl: number, limit: number): Promise<SlidingWindowRecord> {
    return Promise.resolve(this.hit(key, ttl, limit));
  }

  hit(key: string, windowMs: number, limit: number): SlidingWindowRecord {
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size >= this.maxKeys) this.makeRoom();
      entry = { ...newCounters(), windowMs };
      this.entries.set(key, entry);
    } else if (entry.windowMs !== windowMs) {
      // The rule's window changed (new settings): its counters mean nothing now.
      Object.assign(entry, newCounters(), { windowMs });
    }
    return applyHit(entry, this.clock(), windowMs, limit);
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.entries.size;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), this.options.sweepIntervalMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Drops every key whose previous window no longer overlaps a sliding window ending now. */
  sweep(): number {
    const now = this.clock();
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (entry.window < Math.floor(now / entry.windowMs) - 1) {
        this.entries.delete(key);
        removed++;
      }
    }
    return removed;
  }

  private makeRoom(): void {
    // A full sweep at most once a second, so a flood of new clients cannot make every hit O(keys).
    const now = this.clock();
    if (now - this.lastEmergencySweep >= 1000) {
      this.lastEmergencySweep = now;
      if (this.sweep() > 0) return;
    }
    // Full of live keys: evict the oldest inserted one (Map keeps insertion order).
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
