'use strict';
// Command line of run-load-tests.js.

const USAGE = `usage: node load-tests/run-load-tests.js [scenario…] [options]

scenarios (default: all, run in this order):
  health cartRead walletList orderList highConcurrency transfer checkout rateLimited

options:
  --url <base>              use a running service (e.g. http://127.0.0.1:3000) instead of
                            starting one; needs PLATFORM_ADMIN_TOKEN in the environment
                            and rate limits high enough for the run
  --rate-limited-url <base> with --url: an instance whose limits are low, for rateLimited
  --server-pid <pid>        with --url: the service's pid on this machine, for CPU per request
  --db embedded|postgres    database of the service started here (default embedded);
                            postgres uses DATABASE_URL, or starts a throwaway server
  --redis                   Redis for the service (REDIS_URL, or a throwaway server)
  --quick                   every duration divided by 10 (smoke runs, CI)
  --json <file>             where to write the JSON results
                            (default load-tests/results/<ISO time>-<db>.json)
  --log-level <level>       LOG_LEVEL of the service started here (default warn)
  --cpu-prof                profile the service started here (node --cpu-prof); the
                            .cpuprofile lands in load-tests/results/ when the run ends
  -h, --help                this text`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

class UsageError extends Error {}

/** Parses argv (without node and the script) into the run's options. */
function parseOptions(argv, scenarioNames) {
  const options = { names: [], url: null, rateLimitedUrl: null, serverPid: null, db: 'embedded', redis: false, quick: false, json: null, logLevel: 'warn', cpuProf: false, help: false };
  const value = (flag, i) => {
    if (i >= argv.length || argv[i].startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return argv[i];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--url') options.url = baseUrl(value(arg, ++i), arg);
    else if (arg === '--rate-limited-url') options.rateLimitedUrl = baseUrl(value(arg, ++i), arg);
    else if (arg === '--server-pid') options.serverPid = pid(value(arg, ++i), arg);
    else if (arg === '--db') options.db = value(arg, ++i);
    else if (arg === '--redis') options.redis = true;
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--json') options.json = value(arg, ++i);
    else if (arg === '--log-level') options.logLevel = value(arg, ++i);
    else if (arg === '--cpu-prof') options.cpuProf = true;
    else if (arg === '-h' || arg === '--help') options.help = true;
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (!scenarioNames.includes(arg)) throw new UsageError(`unknown scenario ${arg} (known: ${scenarioNames.join(', ')})`);
    else if (!options.names.includes(arg)) options.names.push(arg);
  }
  if (!['embedded', 'postgres'].includes(options.db)) throw new UsageError(`--db must be embedded or postgres, not ${options.db}`);
  if (!LOG_LEVELS.includes(options.logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  if (options.rateLimitedUrl && !options.url) throw new UsageError('--rate-limited-url goes with --url');
  if (options.serverPid && !options.url) throw new UsageError('--server-pid goes with --url');
  if (options.cpuProf && options.url) throw new UsageError('--cpu-prof profiles a service started here: not with --url');
  // Scenarios always run in the canonical order: reads before the writes that change their data.
  options.names = options.names.length ? scenarioNames.filter((name) => options.names.includes(name)) : [...scenarioNames];
  return options;
}

function pid(raw, flag) {
  if (!/^[1-9]\d*$/.test(raw)) throw new UsageError(`${flag} must be a process id`);
  return Number(raw);
}

function baseUrl(raw, flag) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag} is not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`${flag} must be an http:// URL`);
  return url.origin;
}

module.exports = { parseOptions, UsageError, USAGE };
