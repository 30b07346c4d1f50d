import { ThrottlerStorage } from '@nestjs/throttler';
import { applyHit, newWindowState, RateLimitRecord, WindowState } from './fixed-window';

interface Entry extends WindowState {
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
 * The in-process fixed-window store: one map entry of a few numbers per
 * client and rule, updated in place, so a hit costs one map lookup whatever
 * the number of hits before it. Keys whose window is over are swept on a
 * timer. Serves alone without REDIS_URL, and as the fallback while Redis is
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

  /** `ttl` is the window in milliseconds (as @nestjs/throttler passes it); `blockDuration` is not used: a refusal lasts until the window ends. */
  increment(key: string, ttl: number, limit: number): Promise<RateLimitRecord> {
    return Promise.resolve(this.hit(key, ttl, limit));
  }

  hit(key: string, windowMs: number, limit: number): RateLimitRecord {
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size >= this.maxKeys) this.makeRoom();
      entry = { ...newWindowState(), windowMs };
      this.entries.set(key, entry);
    } else if (entry.windowMs !== windowMs) {
      // The rule's window changed (new settings): its counters mean nothing now.
      Object.assign(entry, newWindowState(), { windowMs });
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

  /** Drops every key whose window is over (its next hit would open a new one anyway). */
  sweep(): number {
    const now = this.clock();
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (now >= entry.start + entry.windowMs) {
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
