#!/usr/bin/env node
/**
 * What the rate limiter costs (a benchmark, not a test): the built service
 * (dist/main.js) is started once per configuration, with the limiter off,
 * on the in-process store and on Redis, and one cheap limited route is
 * loaded with autocannon in the same run, so the numbers are comparable.
 * The limits are set so high that nothing is refused: what is measured is
 * the cost of counting. The configurations take turns, round after round,
 * and the medians are compared, so that a neighbour's load on a shared
 * machine does not decide. Traffic goes to 127.0.0.1 only.
 *
 *   node load-tests/rate-limit-bench.js [--duration 20] [--connections 50]
 *        [--clients 1000] [--rounds 3] [--no-build]
 *
 * REDIS_URL: the Redis to use; unset, a throwaway redis-server is started.
 * Targets (the issue's): the in-process limiter keeps >= 90% of the
 * throughput with the limiter off, the Redis one >= 75%, and throughput does
 * not decline over a run (last tenth vs first tenth of the seconds).
 */
const { spawn, execSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const net = require('node:net');
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
  return { base, stop: () => stopChild(child) };
}

/** Runs autocannon; each request comes from one of CLIENTS addresses (X-Forwarded-For), as behind a proxy. */
function load(base, seconds) {
  let next = 0;
  const perSecond = [];
  const instance = autocannon({
    url: base,
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
  return instance.then((result) => ({ result, perSecond }));
}

async function measure(name, env) {
  const service = await startService(env);
  try {
    await load(service.base, WARMUP_S);
    const { result, perSecond } = await load(service.base, DURATION_S);
    const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
    const check = await fetch(`${service.base}${ROUTE}`);
    // Whole seconds only: the last tick may cover a fraction of one.
    const seconds = perSecond.slice(0, DURATION_S).filter((count) => count > 0);
    const tenth = Math.max(1, Math.floor(seconds.length / 10));
    const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
    return {
      name,
      rps: result.requests.average,
      p99: result.latency.p99,
      errors: result.errors + result.timeouts,
      limited: check.headers.get('x-ratelimit-limit') !== null,
      trend: mean(seconds.slice(-tenth)) / mean(seconds.slice(0, tenth)),
      statuses,
    };
  } finally {
    await service.stop();
  }
}

async function main() {
  if (!process.argv.includes('--no-build')) execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
  const redis = await startRedis();
  const runs = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      runs.push(await measure('off', { RATE_LIMIT_ENABLED: 'false' }));
      runs.push(await measure('memory', { RATE_LIMIT_ENABLED: 'true' }));
      runs.push(await measure('off+redis', { RATE_LIMIT_ENABLED: 'false', REDIS_URL: redis.url }));
      runs.push(await measure('redis', { RATE_LIMIT_ENABLED: 'true', REDIS_URL: redis.url }));
    }
  } finally {
    await redis.stop();
  }
  report(runs);
}

function report(runs) {
  const byName = (name) => runs.filter((r) => r.name === name);
  // The median of the rounds: on a shared machine one disturbed run must not decide.
  const median = (list, key) => {
    const values = list.map((r) => r[key]).sort((a, b) => a - b);
    return values.length % 2 ? values[(values.length - 1) / 2] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
  };
  const baseline = { memory: median(byName('off'), 'rps'), redis: median(byName('off+redis'), 'rps') };
  console.log(`\n${ROUTE}, ${CONNECTIONS} connections, ${CLIENTS} clients, ${DURATION_S} s per run, ${ROUNDS} round(s)\n`);
  console.log('run        req/s     p99 ms  headers  trend  errors  statuses');
  for (const r of runs) {
    console.log(
      `${r.name.padEnd(10)} ${r.rps.toFixed(0).padStart(7)} ${String(r.p99).padStart(9)}  ${String(r.limited).padEnd(7)}  ${r.trend.toFixed(2)}   ${String(r.errors).padStart(5)}  ${JSON.stringify(r.statuses)}`,
    );
  }
  let ok = true;
  for (const storage of ['memory', 'redis']) {
    const ratio = median(byName(storage), 'rps') / baseline[storage];
    const pass = ratio >= TARGETS[storage];
    ok &&= pass;
    const p99 = `p99 ${median(byName(storage), 'p99')} ms vs ${median(byName(storage === 'memory' ? 'off' : 'off+redis'), 'p99')} ms`;
    console.log(`\n${storage}: ${(ratio * 100).toFixed(1)}% of the throughput without the limiter (target >= ${TARGETS[storage] * 100}%), ${p99}: ${pass ? 'ok' : 'MISSED'}`);
  }
  const declining = runs.filter((r) => r.trend < 0.9);
  if (declining.length) console.log(`\nthroughput declined during: ${declining.map((r) => r.name).join(', ')}`);
  // Every answer must be the route's own 401: a 429 would mean requests were refused, not counted.
  const unexpected = runs.filter((r) => Object.keys(r.statuses).some((code) => code !== '401'));
  if (unexpected.length) console.log(`\nanswers other than 401 during: ${unexpected.map((r) => r.name).join(', ')}`);
  process.exitCode = ok && !declining.length && !unexpected.length ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
