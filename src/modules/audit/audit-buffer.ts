import type { PreparedEvent } from './audit-writer';

export interface AuditBufferOptions {
  batchSize: number;
  flushIntervalMs: number;
  /** Past this many waiting events, the drop policy applies. */
  maxBuffered: number;
  /** Writes one batch; throws to have it kept and retried. */
  write: (events: PreparedEvent[]) => Promise<void>;
  onDrop?: (event: PreparedEvent) => void;
  maxRetryDelayMs?: number;
}

export interface AuditBufferStats {
  buffered: number;
  flushed: number;
  retried: number;
  dropped: number;
  failedFlushes: number;
}

/** Never dropped, whatever the pressure. */
const isProtected = (event: PreparedEvent) => event.severity === 'CRITICAL' || event.type === 'SECURITY_VIOLATION';

/**
 * The buffered path of the audit log: events wait in memory and are written
 * in batches, when `batchSize` are waiting or every `flushIntervalMs`.
 * A failed batch stays at the head of the queue and is retried with
 * exponential backoff, so nothing is lost while the database is away.
 * The queue is bounded: past `maxBuffered`, the oldest INFO event is dropped
 * first, then the oldest WARNING/ERROR; CRITICAL and SECURITY_VIOLATION
 * events are never dropped. Every drop is counted.
 */
export class AuditBuffer {
  private queue: PreparedEvent[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private consecutiveFailures = 0;
  private retryAt = 0;
  private readonly stats: AuditBufferStats = { buffered: 0, flushed: 0, retried: 0, dropped: 0, failedFlushes: 0 };

  constructor(private readonly options: AuditBufferOptions) {}

  start(): void {
    this.timer ??= setInterval(() => {
      if (Date.now() >= this.retryAt) void this.flush();
    }, this.options.flushIntervalMs);
    this.timer.unref();
  }

  add(event: PreparedEvent): void {
    this.queue.push(event);
    if (this.queue.length > this.options.maxBuffered) this.dropOne();
    if (this.queue.length >= this.options.batchSize && Date.now() >= this.retryAt) void this.flush();
  }

  /**
   * Writes everything waiting, batch by batch; resolves when done or when a
   * batch failed. A call during a flush waits for it, then flushes what came
   * in after that flush last looked at the queue.
   */
  flush(): Promise<void> {
    if (this.flushing) {
      return this.flushing.then(() => (this.queue.length > 0 && Date.now() >= this.retryAt ? this.flush() : undefined));
    }
    this.flushing = this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Stops the timer and writes what is left, retrying until `deadlineMs` has passed. */
  async stop(deadlineMs: number): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + deadlineMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      await this.flush();
      if (this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(0, this.retryAt - Date.now()))));
    }
  }

  getStats(): AuditBufferStats {
    return { ...this.stats, buffered: this.queue.length };
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.options.batchSize);
      try {
        await this.options.write(batch);
      } catch {
        this.stats.failedFlushes++;
        this.stats.retried += batch.length;
        this.consecutiveFailures++;
        const delay = Math.min(this.options.maxRetryDelayMs ?? 30_000, 100 * 2 ** this.consecutiveFailures);
        this.retryAt = Date.now() + delay;
        return;
      }
      // Events may have been dropped from the queue meanwhile: remove exactly the written ones.
      const written = new Set(batch);
      this.queue = this.queue.filter((event) => !written.has(event));
      this.stats.flushed += batch.length;
      this.consecutiveFailures = 0;
      this.retryAt = 0;
    }
  }

  private dropOne(): void {
    const oldestInfo = this.queue.findIndex((e) => e.severity === 'INFO' && !isProtected(e));
    const victim = oldestInfo >= 0 ? oldestInfo : this.queue.findIndex((e) => !isProtected(e));
    if (victim < 0) return;
    const [dropped] = this.queue.splice(victim, 1);
    this.stats.dropped++;
    this.options.onDrop?.(dropped);
  }
}
