#!/usr/bin/env node
/**
 * What the rate limiter costs (a benchmark, not a test): the built service
 * (dist/main.js) is started once per configuration, with the limiter off,
 * on the in-process store and on Redis, and one cheap limited route is
 * loaded with autocannon in the same run, so the numbers are comparable.
 * The limits are set so high that nothing is refused: what is measured is
 * the cost of counting. Traffic goes to 127.0.0.1 only.
 *
 *   node load-tests/rate-limit-bench.js [--duration 20] [--connections 50]
 *        [--clients 1000] [--rounds 3] [--no-build]
 *
 * REDIS_URL: the Redis to use; unset, a throwaway redis-server is started.
 *
 * Two measures per run:
 * - req/s and p99 as autocannon sees them;
 * - the service's CPU time per request (from /proc), which is what bounds
 *   the throughput of a single-threaded server at saturation, and which the
 *   load of other processes on a shared machine moves less than req/s.
 * The configurations take turns, in a different order each round, and the
 * medians are compared. Targets (the issue's): the in-process limiter keeps
 * >= 90% of the throughput with the limiter off, the Redis one >= 75%
 * (judged on req/s and on CPU capacity = 1 / CPU per request), and nothing
 * declines over a run: req/s of the last tenth of the seconds vs the first.
 */
const { spawn, execSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');

const ROOT = path.resolve(__dirname, '..');
const ROUTE = '/api/auth/me'; // limited (auth family); no token: 401 from the authentication guard, no database work
const TARGETS = { memory: 0.9, redis: 0.75 };

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}
const DURATION_S = option('duration', 20);
const WARMUP_S = 3;
const CONNECTIONS = option('connections', 50);
const CLIENTS = option('clients', 1000);
const ROUNDS = option('rounds', 3);
const CLOCK_TICK_MS = 10; // USER_HZ = 100 on Linux

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url, what) {
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${what} did not come up`);
}

/** User + system CPU milliseconds of a process so far (all its threads). */
function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

async function startRedis() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100; attempt++) {
    const up = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    await sleep(50);
  }
  return { url: `redis://127.0.0.1:${port}`, stop: async () => stopChild(child) };
}

function stopChild(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    process.kill(child.pid, 'SIGTERM');
  });
}

async function startService(extraEnv) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    PGLITE_DATA_DIR: 'memory://',
    SEED_DEMO: 'false',
    JWT_SECRET: randomBytes(32).toString('hex'),
    SHUTDOWN_DRAIN_MS: '0',
    TRUST_PROXY: '1',
    REDIS_KEY_PREFIX: `bench-${randomBytes(4).toString('hex')}:`,
    // High enough that nothing is refused: only the counting is measured.
    RATE_LIMIT_AUTH: '1000000000000',
    ...extraEnv,
  };
  const child = spawn(process.execPath, ['dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/api/health/startup`, 'the service');
  return { base, pid: child.pid, stop: () => stopChild(child) };
}

/** Runs autocannon; each request comes from one of CLIENTS addresses (X-Forwarded-For), as behind a proxy. */
function load(service, seconds) {
  let next = 0;
  const perSecond = [];
  const startCpu = cpuMs(service.pid);
  const instance = autocannon({
    url: service.base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path: ROUTE,
        setupRequest: (request) => {
          next = (next + 1) % CLIENTS;
          request.headers = { ...request.headers, 'x-forwarded-for': `10.${(next >> 16) & 255}.${(next >> 8) & 255}.${next & 255}` };
          return request;
        },
      },
    ],
  });
  instance.on('tick', ({ counter }) => perSecond.push(counter));
  return instance.then((result) => ({ result, perSecond, cpu: cpuMs(service.pid) - startCpu }));
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

async function measure(name, env) {
  const service = await startService(env);
  try {
    await load(service, WARMUP_S);
    const { result, perSecond, cpu } = await load(service, DURATION_S);
    const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
    const check = await fetch(`${service.base}${ROUTE}`);
    // Whole seconds only (the last tick may cover a fraction of one).
    const seconds = perSecond.slice(0, DURATION_S).filter((count) => count > 0);
    const tenth = Math.max(1, Math.floor(seconds.length / 10));
    return {
      name,
      rps: result.requests.average,
      p99: result.latency.p99,
      cpuUs: (cpu * 1000) / result.requests.total,
      errors: result.errors + result.timeouts,
      limited: check.headers.get('x-ratelimit-limit') !== null,
      trend: mean(seconds.slice(-tenth)) / mean(seconds.slice(0, tenth)),
      statuses,
    };
  } finally {
    await service.stop();
  }
}

/**
 * The in-process store alone: 5 million hits from CLIENTS clients, timed per
 * million. The cost per hit must stay flat however many hits came before
 * (the default storage of @nestjs/throttler keeps a timestamp per hit).
 */
function storageAlone() {
  const { MemoryThrottlerStorage } = require(path.join(ROOT, 'dist/modules/rate-limit/memory-throttler.storage.js'));
  const storage = new MemoryThrottlerStorage();
  const keys = Array.from({ length: CLIENTS }, (_, i) => `auth:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const perMillion = [];
  for (let chunk = 0; chunk < 5; chunk++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < 1_000_000; i++) storage.hit(keys[i % CLIENTS], 60_000, 1e12);
    perMillion.push(Number(process.hrtime.bigint() - started) / 1_000_000);
  }
  return perMillion;
}

/** For contrast, @nestjs/throttler's default storage on one key: microseconds per hit for each successive 2,000 hits. */
async function defaultStorageAlone() {
  const { ThrottlerStorageService } = require('@nestjs/throttler');
  const storage = new ThrottlerStorageService();
  const perChunk = [];
  for (let chunk = 0; chunk < 5; chunk++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < 2_000; i++) await storage.increment('auth:10.0.0.1', 60_000, 1e12, 0, 'default');
    perChunk.push(Number(process.hrtime.bigint() - started) / 2_000 / 1000);
  }
  storage.onApplicationShutdown();
  return perChunk;
}

async function main() {
  if (!process.argv.includes('--no-build')) execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
  const perHit = storageAlone();
  console.log(`in-process store alone, ns per hit for each successive million hits: ${perHit.map((ns) => ns.toFixed(0)).join(', ')}`);
  const defaultPerHit = await defaultStorageAlone();
  console.log(`@nestjs/throttler's default storage, us per hit for each successive 2,000 hits: ${defaultPerHit.map((us) => us.toFixed(1)).join(', ')}`);
  const redis = await startRedis();
  const runs = [];
  try {
    const configurations = {
      off: { RATE_LIMIT_ENABLED: 'false' },
      memory: { RATE_LIMIT_ENABLED: 'true' },
      'off+redis': { RATE_LIMIT_ENABLED: 'false', REDIS_URL: redis.url },
      redis: { RATE_LIMIT_ENABLED: 'true', REDIS_URL: redis.url },
    };
    const names = Object.keys(configurations);
    for (let round = 0; round < ROUNDS; round++) {
      // A different order each round, so that no configuration always follows the same one.
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) runs.push(await measure(name, configurations[name]));
    }
  } finally {
    await redis.stop();
  }
  report(runs);
}

function median(list, key) {
  const values = list.map((r) => r[key]).sort((a, b) => a - b);
  const middle = Math.floor(values.length / 2);
  return values.length % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

function report(runs) {
  const byName = (name) => runs.filter((r) => r.name === name);
  console.log(
    `\n${ROUTE}, ${CONNECTIONS} connections, ${CLIENTS} clients, ${DURATION_S} s per run, ${ROUNDS} round(s), ` +
      `${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}\n`,
  );
  console.log('run         req/s  p99 ms  CPU us/req  headers  trend  statuses');
  for (const r of runs) {
    console.log(
      `${r.name.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} ${String(r.p99).padStart(7)} ${r.cpuUs.toFixed(1).padStart(11)}  ${String(r.limited).padEnd(7)}  ${r.trend.toFixed(2)}  ${JSON.stringify(r.statuses)}`,
    );
  }
  let ok = true;
  for (const [storage, baseline] of [['memory', 'off'], ['redis', 'off+redis']]) {
    const rps = median(byName(storage), 'rps') / median(byName(baseline), 'rps');
    const capacity = median(byName(baseline), 'cpuUs') / median(byName(storage), 'cpuUs');
    const pass = rps >= TARGETS[storage] && capacity >= TARGETS[storage];
    ok &&= pass;
    console.log(
      `\n${storage} (target >= ${TARGETS[storage] * 100}% of the limiter off): ${pass ? 'ok' : 'MISSED'}` +
        `\n  req/s    ${(rps * 100).toFixed(1)}%  (median ${median(byName(storage), 'rps').toFixed(0)} vs ${median(byName(baseline), 'rps').toFixed(0)})` +
        `\n  capacity ${(capacity * 100).toFixed(1)}%  (CPU per request ${median(byName(storage), 'cpuUs').toFixed(1)} vs ${median(byName(baseline), 'cpuUs').toFixed(1)} us)` +
        `\n  p99      ${median(byName(storage), 'p99')} ms vs ${median(byName(baseline), 'p99')} ms`,
    );
  }
  const declining = runs.filter((r) => r.trend < 0.9);
  if (declining.length) console.log(`\nreq/s declined during a run of: ${declining.map((r) => r.name).join(', ')}`);
  // Every answer must be the route's own 401: a 429 would mean requests were refused, not counted.
  const unexpected = runs.filter((r) => Object.keys(r.statuses).some((code) => code !== '401') || r.errors > 0);
  if (unexpected.length) console.log(`\nanswers other than 401, or errors, during: ${unexpected.map((r) => r.name).join(', ')}`);
  process.exitCode = ok && !declining.length && !unexpected.length ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
