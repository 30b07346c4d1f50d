interface Slot {
  active: number;
  waiting: Array<() => void>;
}

/**
 * In-process admission control by key: at most `permits` callers hold a key
 * at once, the others wait in arrival order. Keys are taken in sorted order,
 * so callers asking for overlapping sets never wait on each other in a cycle.
 *
 * It does not replace database locks (other instances do not see it). It
 * keeps a burst of requests on one hot row from each holding a pooled
 * connection while it waits for that row's lock, which would drain the pool
 * and turn a queue into 503s; a few permits per key (rather than one) keep
 * the next transaction connected and waiting, so the row never idles.
 */
export class KeyedSemaphore {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new Error('permits must be a positive integer');
  }

  async run<T>(keys: string[], work: () => Promise<T>): Promise<T> {
    const held: string[] = [];
    try {
      for (const key of [...new Set(keys)].sort()) {
        await this.acquire(key);
        held.push(key);
      }
      return await work();
    } finally {
      for (const key of held.reverse()) this.release(key);
    }
  }

  /** Keys someone holds or waits for (for tests and metrics). */
  get size(): number {
    return this.slots.size;
  }

  private acquire(key: string): Promise<void> {
    const slot = this.slots.get(key) ?? { active: 0, waiting: [] };
    this.slots.set(key, slot);
    if (slot.active < this.permits) {
      slot.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => slot.waiting.push(resolve));
  }

  private release(key: string): void {
    const slot = this.slots.get(key)!;
    const next = slot.waiting.shift();
    // The permit passes straight to the next waiter; `active` stays the same.
    if (next) return next();
    slot.active--;
    if (slot.active === 0) this.slots.delete(key);
  }
}
