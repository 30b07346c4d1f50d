import { isIP } from 'node:net';
import { z } from 'zod';

/** Parses "true"/"false" strictly: a typo must stop the process, not read as false. */
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const url = (protocols: string[]) =>
  z
    .string()
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, `must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`);
const postgresUrl = url(['postgres:', 'postgresql:']);

/** An IP address, or a host name of RFC 1123 labels whose last one is not all digits (not a mistyped IP). */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*(?!\d+$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const isHost = (value: string) => isIP(value) !== 0 || HOST_NAME.test(value);

/** Every operator setting of API.md, validated once at start. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().refine(isHost, 'must be an IP address or a host name').default('0.0.0.0'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_MIGRATION_URL: postgresUrl.optional(),
  DATABASE_REPLICA_URLS: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []))
    .pipe(z.array(postgresUrl)),
  /** Connections per instance to PostgreSQL (the embedded database has one). */
  DATABASE_POOL_SIZE: int(1, 1000).default(20),
  PGLITE_DATA_DIR: z.string().min(1).default('./data/pglite'),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 : _ -').default('saas-core:'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL: int(1).default(900),
  REFRESH_TOKEN_TTL: int(1).default(2592000),
  PLATFORM_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^(false|\d{1,3})$/, 'must be false or a number of proxy hops')
    .transform((v) => (v === 'false' ? 0 : Number(v)))
    .refine((hops) => hops <= 100, 'must be at most 100 proxy hops')
    .default(0),
  RATE_LIMIT_ENABLED: bool.default(true),
  RATE_LIMIT_AUTH: int(1).default(10),
  RATE_LIMIT_WALLETS: int(1).default(60),
  RATE_LIMIT_CART: int(1).default(100),
  RATE_LIMIT_ORDERS: int(1).default(30),
  RATE_LIMIT_DEFAULT: int(1).default(200),
  RATE_LIMIT_WINDOW_SECONDS: int(1, 86400).default(60),
  BODY_LIMIT_BYTES: int(1).default(1048576),
  AUDIT_BATCH_SIZE: int(1, 10000).default(100),
  AUDIT_FLUSH_INTERVAL_MS: int(10).default(5000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEED_DEMO: bool.optional(),
  SHUTDOWN_DRAIN_MS: int(0).default(5000),
  /** Real PostgreSQL: a statement with no answer for this long closes its connection (503); 0 turns it off. */
  DATABASE_QUERY_TIMEOUT_MS: int(0).default(4000),
  MIGRATIONS_RUN: bool.default(true),
  /** log2 of scrypt's cost N for password hashes; lower only in tests. */
  PASSWORD_HASH_COST: int(10, 20).default(15),
  /** How long an idempotency key is kept: at least 24 hours (API.md). */
  IDEMPOTENCY_TTL_SECONDS: int(86400, 31536000).default(86400),
  /** After this long, the key of a request that never finished (a crash) may be taken over. */
  IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: int(1, 3600).default(60),
});

type Env = z.output<typeof envSchema>;

export interface AppConfig extends Omit<Env, 'SEED_DEMO'> {
  /** True when no DATABASE_URL is set and the embedded PGlite serves. */
  embeddedDatabase: boolean;
  SEED_DEMO: boolean;
}

export class ConfigError extends Error {}

/** PGLITE_DATA_DIR names a path that cannot be the database folder (a file, or somewhere not writable). */
export const unusableDataDir = (dataDir: string, error: unknown) =>
  new ConfigError(
    `Invalid setting PGLITE_DATA_DIR: cannot use ${dataDir} as the database folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
  );

/**
 * Validates the environment; throws a ConfigError whose message names the
 * first bad variable, so the process stops with one clear line.
 */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): AppConfig {
  // An empty value counts as unset, as in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid setting ${String(issue.path[0])}: ${issue.message}`);
  }
  const values = parsed.data;
  if (values.NODE_ENV === 'production' && !values.JWT_SECRET) {
    throw new ConfigError('Invalid setting JWT_SECRET: required when NODE_ENV=production');
  }
  const embeddedDatabase = !values.DATABASE_URL;
  if (embeddedDatabase && values.DATABASE_REPLICA_URLS.length > 0) {
    throw new ConfigError('Invalid setting DATABASE_REPLICA_URLS: replicas need DATABASE_URL (the embedded database has none)');
  }
  return { ...values, embeddedDatabase, SEED_DEMO: values.SEED_DEMO ?? embeddedDatabase };
}
