import { Injectable } from '@nestjs/common';

/** A named stats function: called on each detailed report, must be cheap and synchronous-ish. */
export type MetricsSource = () => unknown;

/** Names the detailed report already uses for its own sections. */
const RESERVED = new Set(['status', 'timestamp', 'uptime', 'checks', 'memory', 'audit', 'database', 'process']);

/**
 * Where other modules plug their stats into `GET /api/metrics?detailed=true`
 * without this module importing them: the rate limiter registers
 * `rateLimiter`, idempotency could register `idempotency`, and each appears
 * under its name in the report. Inject it (the metrics module is global) and
 * call `register` once, e.g. in `onModuleInit`.
 */
@Injectable()
export class MetricsSources {
  private readonly sources = new Map<string, MetricsSource>();

  register(name: string, source: MetricsSource): void {
    if (RESERVED.has(name)) throw new Error(`metrics source name "${name}" is reserved`);
    this.sources.set(name, source);
  }

  unregister(name: string): void {
    this.sources.delete(name);
  }

  /** Every registered source's current value; one that throws reports `{ error }` instead of failing the report. */
  async snapshot(): Promise<Record<string, unknown>> {
    const result: Record<string, unknown> = {};
    for (const [name, source] of this.sources) {
      try {
        result[name] = await source();
      } catch (error) {
        result[name] = { error: (error as Error).message };
      }
    }
    return result;
  }
}
