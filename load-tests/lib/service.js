'use strict';
// Builds (when needed) and starts saas-core as a child process for a run.
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { freePort, startNode, waitForOk } = require('./processes');

const ROOT = path.join(__dirname, '..', '..');
const RAISED_LIMIT = '1000000000';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` when dist/main.js is missing or older than a file of src/. */
function buildIfStale(log) {
  const main = path.join(ROOT, 'dist', 'main.js');
  if (fs.existsSync(main) && fs.statSync(main).mtimeMs >= newestMtime(path.join(ROOT, 'src'))) return false;
  log('dist/ is missing or older than src/: npm run build');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
  return true;
}

/**
 * The environment of a service started by the runner: limiter on with limits
 * raised out of the way, fast password hashing for seeding, quiet logs.
 * Every value is reported in the results.
 */
function serviceEnv({ databaseUrl, redisUrl, redisPrefix, logLevel, overrides = {} }) {
  const env = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PGLITE_DATA_DIR: 'memory://',
    PLATFORM_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    JWT_SECRET: randomBytes(48).toString('base64url'),
    // Tokens must outlive the run.
    ACCESS_TOKEN_TTL: '7200',
    LOG_LEVEL: logLevel,
    // scrypt at 2^10 instead of 2^15: seeding 50 logins in seconds; no effect on the measured routes.
    PASSWORD_HASH_COST: '10',
    SEED_DEMO: 'false',
    DATABASE_POOL_SIZE: '20',
    SHUTDOWN_DRAIN_MS: '0',
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_AUTH: RAISED_LIMIT,
    RATE_LIMIT_WALLETS: RAISED_LIMIT,
    RATE_LIMIT_CART: RAISED_LIMIT,
    RATE_LIMIT_ORDERS: RAISED_LIMIT,
    RATE_LIMIT_DEFAULT: RAISED_LIMIT,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: redisPrefix } : {}),
    ...overrides,
  };
  return env;
}

/** Secrets are not written to the results. */
const reportable = (env) =>
  Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, /^(PLATFORM_ADMIN_TOKEN|JWT_SECRET)$/.test(key) ? '(random)' : key.endsWith('_URL') ? value.replace(/\/\/[^@/]*@/, '//') : value]),
  );

/** Starts `node dist/main.js` on a free port and waits until /api/health/ready answers 200. */
async function startService(label, env, { nodeFlags = [] } = {}) {
  const port = await freePort();
  const inherited = { ...process.env };
  // Only what we set decides the backends: never a DATABASE_URL or REDIS_URL left in the shell.
  for (const key of Object.keys(inherited)) if (/^(DATABASE_|REDIS_|RATE_LIMIT_|PGLITE_)/.test(key)) delete inherited[key];
  const child = startNode(label, [...nodeFlags, path.join(ROOT, 'dist', 'main.js')], { ...inherited, ...env, PORT: String(port) });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForOk(`${baseUrl}/api/health/ready`, child);
  return { ...child, baseUrl, platformToken: env.PLATFORM_ADMIN_TOKEN };
}

module.exports = { buildIfStale, serviceEnv, startService, reportable, RAISED_LIMIT };
