import { AppConfig } from '../../config/app-config';

/** One limit: a bucket of its own per client. */
export interface RateLimitRule {
  /** Short, stable part of the storage key: `auth`, `wallets`, … or `route:GET /api/x` for a @Throttle override. */
  readonly id: string;
  /** What the audit event and the 429 detail name, e.g. `/api/auth/*`. */
  readonly pattern: string;
  readonly limit: number;
  /** `limit` as the X-RateLimit-Limit value, made once. */
  readonly limitHeader: string;
  readonly windowMs: number;
}

interface Family {
  id: string;
  prefix: string;
  setting: 'RATE_LIMIT_AUTH' | 'RATE_LIMIT_WALLETS' | 'RATE_LIMIT_CART' | 'RATE_LIMIT_ORDERS';
}

/** The path families of API.md "Rate limits"; `/x/*` covers `/x` itself and everything below it. */
const FAMILIES: Family[] = [
  { id: 'auth', prefix: '/api/auth', setting: 'RATE_LIMIT_AUTH' },
  { id: 'wallets', prefix: '/api/wallets', setting: 'RATE_LIMIT_WALLETS' },
  { id: 'cart', prefix: '/api/svm/cart', setting: 'RATE_LIMIT_CART' },
  { id: 'orders', prefix: '/api/svm/orders', setting: 'RATE_LIMIT_ORDERS' },
];
const API_PREFIX = '/api';
/** `/api/health*`: probes are never limited (nor is anything outside /api, such as /metrics). */
const UNLIMITED_PREFIX = '/api/health';

const rule = (id: string, pattern: string, limit: number, windowMs: number): RateLimitRule => ({
  id,
  pattern,
  limit,
  limitHeader: String(limit),
  windowMs,
});

/** True when `path` is `prefix` itself or below it; a query string ends the path. */
export function isUnder(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  const next = path.charCodeAt(prefix.length);
  return Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f /* ? */;
}

/**
 * The per-path limits, built once from the settings. `forPath` takes a route
 * template (`/api/wallets/:id`, for matched routes) or a raw URL (for
 * requests no route matched) and answers the rule, or `null` when the path is
 * not limited.
 */
export class RateLimitRules {
  private readonly families: { prefix: string; rule: RateLimitRule }[];
  private readonly fallback: RateLimitRule;
  readonly windowMs: number;

  constructor(config: AppConfig) {
    this.windowMs = config.RATE_LIMIT_WINDOW_SECONDS * 1000;
    this.families = FAMILIES.map((f) => ({
      prefix: f.prefix,
      rule: rule(f.id, `${f.prefix}/*`, config[f.setting], this.windowMs),
    }));
    this.fallback = rule('default', `${API_PREFIX}/*`, config.RATE_LIMIT_DEFAULT, this.windowMs);
  }

  forPath(path: string): RateLimitRule | null {
    if (!isUnder(path, API_PREFIX) || path.startsWith(UNLIMITED_PREFIX)) return null;
    for (const family of this.families) {
      if (isUnder(path, family.prefix)) return family.rule;
    }
    return this.fallback;
  }

  /** A route's own limit from `@Throttle({ default: { limit, ttl } })` (ttl in milliseconds, as @nestjs/throttler has it). */
  forRoute(method: string, url: string, limit: number | undefined, ttlMs: number | undefined): RateLimitRule | null {
    const base = this.forPath(url);
    if (limit === undefined && ttlMs === undefined) return base;
    return rule(`route:${method} ${url}`, `${method} ${url}`, limit ?? base?.limit ?? this.fallback.limit, ttlMs ?? this.windowMs);
  }
}
