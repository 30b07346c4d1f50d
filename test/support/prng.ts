import { randomInt } from 'node:crypto';

/**
 * A small seeded pseudo-random generator (mulberry32), so that a fuzz or a
 * chaos run is a function of its seed and a failure can be replayed.
 */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks by weight: `[[item, weight], ...]`. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [item, weight] of choices) {
      roll -= weight;
      if (roll < 0) return item;
    }
    return choices[choices.length - 1][0];
  }

  /** A version-4-shaped UUID drawn from this generator. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16));
    hex[12] = '4';
    hex[16] = ((this.int(0, 15) & 0x3) | 0x8).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  /**
   * An independent generator for one named stream (one operation, one
   * client): adding a stream elsewhere does not shift this one's sequence.
   */
  fork(label: string): Rng {
    let hash = this.seed ^ 0x9e3779b9;
    for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
    return new Rng(hash >>> 0);
  }
}

/**
 * The seed of this run: the value of `variable` when set (to replay a run),
 * else a fresh one. Callers print it.
 */
export function seedFromEnv(variable: string): number {
  const given = process.env[variable];
  if (given === undefined || given === '') return randomInt(1, 2 ** 31);
  if (!/^\d{1,10}$/.test(given) || Number(given) > 0xffffffff) throw new Error(`${variable} must be a whole number below 2^32`);
  return Number(given);
}

/** A positive whole number from the environment, or `fallback`. */
export function countFromEnv(variable: string, fallback: number): number {
  const given = process.env[variable];
  if (given === undefined || given === '') return fallback;
  if (!/^\d{1,7}$/.test(given) || Number(given) < 1) throw new Error(`${variable} must be a positive whole number`);
  return Number(given);
}
