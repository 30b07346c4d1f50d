import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';
import { HttpClient } from './http';
import { freePort } from './own-services';
import { PLATFORM_TOKEN } from './test-app';
import { createTestDatabase } from './test-database';

const ROOT = resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const SERVICE_JWT_SECRET = 'test-jwt-secret-0123456789-0123456789-abcdef';

/** Settings every built service of the tests runs with (like startTestApp's); a suite adds its own. */
export const SERVICE_TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  PLATFORM_ADMIN_TOKEN: PLATFORM_TOKEN,
  JWT_SECRET: SERVICE_JWT_SECRET,
  SEED_DEMO: 'false',
  PASSWORD_HASH_COST: '10',
  RATE_LIMIT_AUTH: '100000',
  RATE_LIMIT_WALLETS: '100000',
  RATE_LIMIT_CART: '100000',
  RATE_LIMIT_ORDERS: '100000',
  RATE_LIMIT_DEFAULT: '100000',
};

/** `npm run build`: the suites that run `node dist/main.js` test what production runs. */
export async function buildService(): Promise<void> {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
}

/** Where a built service keeps its data, and how the test reads it. */
export interface ServiceStore {
  /** DATABASE_URL (a fresh database on the server of the environment's DATABASE_URL) or PGLITE_DATA_DIR, and Redis. */
  env: Record<string, string>;
  databaseUrl?: string;
  dataDir?: string;
  /** Runs SQL as the owner: any time on PostgreSQL, only while no service holds the embedded folder. */
  query<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/**
 * A fresh store for built services: a new database on the real server when
 * DATABASE_URL is set (with the environment's REDIS_URL under a prefix of
 * its own), else an embedded data folder that outlives each process.
 */
export async function createServiceStore(name = 'service'): Promise<ServiceStore> {
  const database = await createTestDatabase();
  const dataDir = database.url ? undefined : mkdtempSync(join(tmpdir(), `saas-core-${name}-`));
  const env: Record<string, string> = database.url ? { DATABASE_URL: database.url } : { PGLITE_DATA_DIR: dataDir! };
  if (process.env.REDIS_URL) Object.assign(env, { REDIS_URL: process.env.REDIS_URL, REDIS_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}:` });
  return {
    env,
    databaseUrl: database.url,
    dataDir,
    query: async <T>(sql: string, params: unknown[] = []) => {
      if (database.url) {
        const client = new Client({ connectionString: database.url });
        await client.connect();
        try {
          return (await client.query(sql, params)).rows as T[];
        } finally {
          await client.end();
        }
      }
      const pglite = await PGlite.create(dataDir!);
      try {
        return (await pglite.query<T>(sql, params)).rows;
      } finally {
        await pglite.close();
      }
    },
    drop: async () => {
      await database.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  http: HttpClient;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote on stdout and stderr. */
  output(): string;
  /** SIGKILL unless it already exited, then waits for the exit. */
  kill(): Promise<void>;
}

/**
 * Runs the built service (`node dist/main.js`) as production does, with
 * `env` over the inherited environment (whose DATABASE_URL and REDIS_URL are
 * dropped: the store names its own), and waits until its startup probe
 * answers 200. On `port` when given (a restart keeps its clients' address).
 */
export async function startServiceProcess(env: Record<string, string>, options: { port?: number; startupTimeoutMs?: number } = {}): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: { ...inherited, ...SERVICE_TEST_ENV, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  const http = new HttpClient(`http://127.0.0.1:${port}`);
  const service: ServiceProcess = {
    child,
    port,
    http,
    exit,
    output: () => output,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };

  const deadline = Date.now() + (options.startupTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the service exited at start:\n${output}`);
    const started = await http.get('/api/health/startup').catch(() => null);
    if (started?.status === 200) return service;
    if (Date.now() > deadline) {
      await service.kill();
      throw new Error(`the service did not start:\n${output}`);
    }
    await sleep(100);
  }
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export async function residentSetSize(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * CPU time of a process's main thread (its event loop) and the time it
 * spent runnable but waiting for a CPU, in nanoseconds, from
 * /proc/<pid>/task/<pid>/schedstat (Linux). Their ratio over a stretch of
 * time says how much the machine's other work slowed the service down.
 */
export async function mainThreadSchedule(pid: number): Promise<{ cpuNs: number; waitNs: number }> {
  const { readFile } = await import('node:fs/promises');
  const [cpu, wait] = (await readFile(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')).trim().split(/\s+/).map(Number);
  return { cpuNs: cpu, waitNs: wait };
}

/**
 * Runs one of the built operator commands (`dist/…cli.js`) on a store, as an
 * operator would with the service stopped; resolves with its exit code and
 * output whatever the code.
 */
export async function runServiceCli(script: string, args: string[], store: ServiceStore): Promise<{ code: number; stdout: string; stderr: string }> {
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, ...args], {
      cwd: ROOT,
      env: { ...inherited, ...SERVICE_TEST_ENV, ...store.env, LOG_LEVEL: 'error' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Resolves with the exit, or rejects once `ms` have passed: a deadline, not a measured duration. */
export async function exitWithin(service: ServiceProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running ${ms} ms after the signal:\n${service.output()}`)), ms);
  });
  try {
    return await Promise.race([service.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}
