#!/usr/bin/env node
'use strict';
// Load tests of saas-core with autocannon (issue 9). Starts the service (or
// takes --url), seeds it through the API, warms up and runs each scenario,
// measures its baseline in the same run, checks the ledger after writes,
// and prints a table per scenario and writes the same as JSON.
//   node load-tests/run-load-tests.js [scenario…] [--db embedded|postgres] [--redis] [--quick] [--url <base>] [--json <file>]
// See docs/PERFORMANCE.md.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { setTimeout: sleep } = require('node:timers/promises');
const { ApiClient } = require('./lib/api-client');
const { cleanRedisPrefixAtEnd, createRunDatabase, startThrowawayServices } = require('./lib/backends');
const { measure, stopCurrentRun, round } = require('./lib/measure');
const { parseOptions, UsageError, USAGE } = require('./lib/options');
const { canPin, freePort, onCleanup, pinSelf, runCleanups, startNode, waitForOk } = require('./lib/processes');
const { scenarioTable, summaryTable } = require('./lib/report');
const { seed, seedTenant } = require('./lib/seed');
const { buildIfStale, reportable, serviceEnv, startService } = require('./lib/service');
const { SCENARIOS, SCENARIO_NAMES } = require('./scenarios');

const SEED = { users: 50, products: 20, cartLines: 3, walletsPerUser: 2, ordersPerUser: 6 };
const WARMUP_S = 3;
/** Limits of the instance the rateLimited scenario floods. */
const LOW_LIMIT = 100;
const LOW_LIMIT_WINDOW_S = 60;

const log = (message) => process.stdout.write(`${message}\n`);

async function main() {
  const options = parseOptions(process.argv.slice(2), SCENARIO_NAMES);
  if (options.help) return log(USAGE);
  const scale = options.quick ? 0.1 : 1;
  const scenarios = SCENARIOS.filter((s) => options.names.includes(s.name)).map((s) => ({ ...s, durationS: round(s.durationS * scale, 1) }));
  // What to seed: everything any selected scenario needs.
  const needs = {};
  for (const scenario of scenarios) for (const [key, wanted] of Object.entries(scenario.needs)) needs[key] ||= wanted;
  const startedAt = new Date();
  const run = { options, startedAt: startedAt.toISOString(), runId: randomBytes(4).toString('hex') };

  log(`saas-core load tests: ${scenarios.map((s) => s.name).join(', ')}${options.quick ? ' (--quick: durations ÷ 10)' : ''}`);
  await prepareBackends(run);
  run.pinned = pinSelf();
  log(
    run.pinned
      ? 'pinned: service and baselines on core 0 (taskset -c 0), this load generator on core 1 (taskset -apc 1)'
      : 'not pinned (no taskset or a single core): numbers are noisier',
  );
  await prepareService(run);
  run.api = new ApiClient(run.baseUrl);

  if (needs.seed) {
    if (!run.platformToken) throw new UsageError('seeding needs PLATFORM_ADMIN_TOKEN in the environment with --url');
    run.seedData = await seed(run.api, { platformToken: run.platformToken, ...SEED, needs }, log);
    log(`seeding took ${run.seedData.seconds.toFixed(1)} s`);
  }

  const entries = [];
  for (const scenario of scenarios) {
    if (interrupted) return;
    const entry = await runScenario(scenario, run, round(WARMUP_S * scale, 1));
    entries.push(entry);
    log(`\n${scenarioTable(entry)}\n`);
  }

  const failed = entries.some((e) => e.status === 'failed' || (e.ledger && e.ledger.status !== 'unavailable' && e.ledger.consistent !== true));
  const file = writeJson(run, entries, failed);
  log(`summary (${run.database}${run.redisUrl ? ' + Redis' : ''}, LOG_LEVEL=${run.logLevel})`);
  log(summaryTable(entries));
  if (!(options.db === 'postgres' && run.redisUrl)) log('  note: the issue’s targets are stated for real PostgreSQL and Redis (--db postgres --redis)');
  log(`\nresults: ${path.relative(process.cwd(), file)}`);
  if (failed) {
    log('FAILED: a scenario failed or the ledger is not consistent');
    process.exitCode = 1;
  }
}

/** PostgreSQL and Redis of the run: from the environment, or a throwaway pair; a database of the run's own. */
async function prepareBackends(run) {
  const { options } = run;
  if (options.url) {
    // The service is someone else's: the pg baseline reads the database it names, if any.
    run.databaseUrl = options.db === 'postgres' ? process.env.DATABASE_URL : undefined;
    if (options.db === 'postgres' && !run.databaseUrl) throw new UsageError('--url with --db postgres needs DATABASE_URL (the service’s database) for the pg baseline');
    run.database = options.db === 'postgres' ? 'PostgreSQL' : 'embedded PGlite (baseline only)';
    run.localPostgres = isLocal(run.databaseUrl);
    return;
  }
  const wantThrowaway = (options.db === 'postgres' && !process.env.DATABASE_URL) || (options.redis && !process.env.REDIS_URL);
  const throwaway = wantThrowaway ? await startThrowawayServices(log) : {};
  if (options.db === 'postgres') {
    const serverUrl = process.env.DATABASE_URL || throwaway.databaseUrl;
    run.databaseUrl = await createRunDatabase(serverUrl, log);
    run.database = `PostgreSQL (${new URL(serverUrl).host}, database ${new URL(run.databaseUrl).pathname.slice(1)})`;
    run.localPostgres = isLocal(serverUrl);
  } else {
    run.database = 'embedded PGlite (memory://)';
  }
  if (options.redis) {
    run.redisUrl = process.env.REDIS_URL || throwaway.redisUrl;
    run.redisPrefix = `loadtest-${run.runId}:`;
    cleanRedisPrefixAtEnd(run.redisUrl, run.redisPrefix);
  }
}

/** PostgreSQL on this machine: its processes' CPU per request is reported. */
const isLocal = (databaseUrl) => Boolean(databaseUrl) && ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(databaseUrl).hostname);

async function prepareService(run) {
  const { options } = run;
  if (options.url) {
    run.baseUrl = options.url;
    run.platformToken = process.env.PLATFORM_ADMIN_TOKEN;
    run.logLevel = '(the service’s own)';
    log(`service: ${run.baseUrl} (not started here)`);
    await waitForOk(`${run.baseUrl}/api/health/ready`, null, 60_000);
    return;
  }
  buildIfStale(log);
  const env = serviceEnv({ databaseUrl: run.databaseUrl, redisUrl: run.redisUrl, redisPrefix: run.redisPrefix, logLevel: options.logLevel });
  run.serviceEnv = reportable(env);
  run.logLevel = options.logLevel;
  log(`starting saas-core: ${run.database}, ${run.redisUrl ? 'Redis' : 'no Redis (in-process limiter)'}, LOG_LEVEL=${env.LOG_LEVEL}`);
  log(`  limiter on with RATE_LIMIT_*=${env.RATE_LIMIT_DEFAULT}, PASSWORD_HASH_COST=${env.PASSWORD_HASH_COST} (seeding speed), DATABASE_POOL_SIZE=${env.DATABASE_POOL_SIZE}`);
  const results = path.join(__dirname, 'results');
  const nodeFlags = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${results}`, `--cpu-prof-name=${run.runId}-saas-core.cpuprofile`] : [];
  if (options.cpuProf) log(`  profiling: load-tests/results/${run.runId}-saas-core.cpuprofile when the run ends`);
  const service = await startService('saas-core', env, { nodeFlags });
  run.service = service;
  run.baseUrl = service.baseUrl;
  run.platformToken = service.platformToken;
  log(`  ready at ${run.baseUrl} (pid ${service.pid})`);
}

async function runScenario(scenario, run, warmupS) {
  const entry = { name: scenario.name, path: scenario.path, connections: scenario.connections, durationS: scenario.durationS };
  try {
    if (scenario.needs.rateLimitedInstance) await prepareRateLimited(run);
    const reason = scenario.unavailable?.(run);
    if (reason) return { ...entry, status: 'unavailable', reason };
    log(`${scenario.name}: warming up ${warmupS} s, then ${scenario.durationS} s at ${scenario.connections} connections`);
    const url = scenario.target?.(run) ?? run.baseUrl;
    const serverPid = scenario.needs.rateLimitedInstance ? run.rateLimited.instance?.pid : (run.service?.pid ?? run.options.serverPid);
    const load = { url, connections: scenario.connections, serverPid, localPostgres: run.localPostgres };
    const warmup = await measure({ ...load, label: `${scenario.name} warm-up`, durationS: warmupS, requests: scenario.requests(run) });
    // autocannon stops without waiting for the answers in flight; the server still runs those
    // requests (a checkout of the warm-up would empty a cart the measured run just filled).
    await sleep(2 * warmup.latency.max + 500);
    entry.result = await measure({ ...load, label: scenario.name, durationS: scenario.durationS, requests: scenario.requests(run) });
    if (scenario.checksLedger) entry.ledger = await checkLedger(run);
    if (scenario.baseline) {
      const baseline = await startBaseline(scenario.baseline, run);
      const base = { url: baseline.url, serverPid: baseline.pid, connections: scenario.connections, requests: scenario.baselineRequests(run), localPostgres: run.localPostgres };
      await measure({ ...base, label: `${scenario.baseline} warm-up`, durationS: warmupS });
      const result = await measure({ ...base, label: scenario.baseline, durationS: scenario.durationS, requests: scenario.baselineRequests(run) });
      entry.baseline = { name: scenario.baseline, result };
      entry.ratio = result.rps > 0 ? round(entry.result.rps / result.rps) : null;
      // Requests per CPU-second of ours over the baseline's: steadier than req/s on a shared machine.
      const ours = entry.result.serverCpuUsPerRequest;
      entry.cpuRatio = ours && result.serverCpuUsPerRequest ? round(result.serverCpuUsPerRequest / ours) : null;
      if (scenario.reference) entry.reference = await measureReference(scenario, run, base, warmupS, result);
    } else {
      entry.ratio = null;
      entry.cpuRatio = null;
    }
    entry.targets = scenario.targets({ ...entry.result, ratio: entry.ratio, ledger: entry.ledger }, run);
    return { ...entry, status: 'ok' };
  } catch (error) {
    return { ...entry, status: 'failed', reason: error.message };
  } finally {
    if (scenario.needs.rateLimitedInstance) await run.rateLimited?.instance?.stop();
  }
}

/** A reference server measured like the baseline (e.g. bare NestJS): where the framework alone stands against it. */
async function measureReference(scenario, run, base, warmupS, baselineResult) {
  const reference = await startBaseline(scenario.reference, run);
  const load = { ...base, url: reference.url, serverPid: reference.pid };
  await measure({ ...load, label: `${scenario.reference} warm-up`, durationS: warmupS });
  const result = await measure({ ...load, label: scenario.reference, durationS: scenario.durationS, requests: scenario.baselineRequests(run) });
  return { name: scenario.reference, result, ratio: baselineResult.rps > 0 ? round(result.rps / baselineResult.rps) : null };
}

async function checkLedger(run) {
  const res = await run.api.request('GET', '/api/ledger/summary', { token: run.seedData.admin.token });
  if (res.status === 404) return { status: 'unavailable', reason: 'GET /api/ledger/summary answered 404 (not built yet?)' };
  if (res.status !== 200) return { status: 'failed', reason: `GET /api/ledger/summary answered ${res.status}` };
  return { status: 'checked', consistent: res.body.consistent === true, currencies: res.body.currencies };
}

/** A baseline server, started once per run on core 0 and kept for the scenarios that compare to it. */
async function startBaseline(name, run) {
  run.baselines ??= {};
  if (run.baselines[name]) return run.baselines[name];
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1' };
  if (name === 'bare-fastify-pg') {
    if (run.databaseUrl) Object.assign(env, { BASELINE_DB: 'postgres', DATABASE_URL: run.databaseUrl, DATABASE_POOL_SIZE: '20' });
    else {
      const file = path.join(os.tmpdir(), `saas-core-loadtest-seed-${run.runId}.json`);
      const { tenant, users, counts } = run.seedData;
      onCleanup(`delete ${file}`, async () => fs.rmSync(file, { force: true }));
      fs.writeFileSync(file, JSON.stringify({ tenantId: tenant.id, userIds: users.map((u) => u.id), products: counts.products, cartLines: counts.cartLines }));
      Object.assign(env, { BASELINE_DB: 'embedded', BASELINE_SEED_FILE: file });
    }
  }
  const child = startNode(name, [path.join(__dirname, 'baselines', `${name}.js`)], env);
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/ready`, child, 60_000);
  run.baselines[name] = { url, pid: child.pid };
  return run.baselines[name];
}

/**
 * The instance rateLimited floods: started here with low limits (its own Redis
 * keys, the same database), or --rate-limited-url. A tenant of its own; the
 * limiter must answer with X-RateLimit-* headers, else it is not built yet.
 */
async function prepareRateLimited(run) {
  const state = (run.rateLimited = { windowSeconds: LOW_LIMIT_WINDOW_S });
  if (run.options.url && !run.options.rateLimitedUrl) {
    state.unavailable = 'with --url, rateLimited needs --rate-limited-url (an instance whose limits are low)';
    return;
  }
  let platformToken = process.env.PLATFORM_ADMIN_TOKEN;
  if (run.options.rateLimitedUrl) {
    state.baseUrl = run.options.rateLimitedUrl;
    state.windowSeconds = Number(process.env.RATE_LIMIT_WINDOW_SECONDS ?? LOW_LIMIT_WINDOW_S);
  } else {
    const low = String(LOW_LIMIT);
    const env = serviceEnv({
      databaseUrl: run.databaseUrl,
      redisUrl: run.redisUrl,
      redisPrefix: `loadtest-${run.runId}-limited:`,
      logLevel: run.options.logLevel,
      overrides: {
        RATE_LIMIT_AUTH: low,
        RATE_LIMIT_WALLETS: low,
        RATE_LIMIT_CART: low,
        RATE_LIMIT_ORDERS: low,
        RATE_LIMIT_DEFAULT: low,
        RATE_LIMIT_WINDOW_SECONDS: String(LOW_LIMIT_WINDOW_S),
      },
    });
    if (run.redisUrl) cleanRedisPrefixAtEnd(run.redisUrl, env.REDIS_KEY_PREFIX);
    log(`rateLimited: starting a second saas-core with RATE_LIMIT_*=${low} per ${LOW_LIMIT_WINDOW_S} s`);
    state.instance = await startService('saas-core (low limits)', env);
    state.baseUrl = state.instance.baseUrl;
    platformToken = state.instance.platformToken;
  }
  if (!platformToken) throw new UsageError('rateLimited needs PLATFORM_ADMIN_TOKEN in the environment with --rate-limited-url');
  const api = new ApiClient(state.baseUrl);
  const tenant = await seedTenant(api, platformToken);
  state.token = tenant.admin.token;
  const probe = await api.request('GET', '/api/auth/me', { token: state.token });
  const limit = Number(probe.headers.get('x-ratelimit-limit'));
  if (!limit) state.unavailable = 'no X-RateLimit-Limit header on GET /api/auth/me: the rate limiter is not built yet';
  state.limit = limit;
}

function writeJson(run, entries, failed) {
  const stamp = run.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = path.resolve(run.options.json ?? path.join(__dirname, 'results', `${stamp}-${run.options.db}.json`));
  const cpus = os.cpus();
  const document = {
    startedAt: run.startedAt,
    finishedAt: new Date().toISOString(),
    command: `node load-tests/run-load-tests.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cores: cpus.length,
      model: cpus[0]?.model,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      pinned: run.pinned && canPin(),
      loadAverageAtEnd: os.loadavg().map((v) => round(v)),
    },
    options: { ...run.options, names: undefined },
    database: run.database,
    redis: !!run.redisUrl,
    service: run.serviceEnv ? { startedByRunner: true, env: run.serviceEnv } : { startedByRunner: false, url: run.baseUrl },
    seed: run.seedData ? { counts: run.seedData.counts, seconds: run.seedData.seconds, unavailable: run.seedData.unavailable } : null,
    scenarios: entries,
    failed,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the load and the processes started here\n`);
    stopCurrentRun();
    runCleanups().finally(() => process.exit(130));
  });
}

main()
  .catch((error) => {
    process.stderr.write(error instanceof UsageError ? `${error.message}\n\n${USAGE}\n` : `load test failed: ${error.stack ?? error.message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  })
  .finally(() => runCleanups());
