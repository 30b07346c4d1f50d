import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = resolve(__dirname, '../../scripts/test-services.sh');

/** The newest installed PostgreSQL's bin folder (Debian layout), if any. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(a) - Number(b));
  return versions.length ? join(root, versions[versions.length - 1], 'bin') : undefined;
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface OwnServices {
  /** Superuser URL of the server’s `postgres` database (createTestDatabase(url) makes a fresh one on it). */
  databaseUrl: string;
  redisUrl: string;
  /** `pg_ctl stop -m fast`: sessions are ended, new connections refused. */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  /**
   * SIGSTOP to the server and its backends: sockets stay open, nothing
   * answers, as in a network partition that drops packets.
   */
  freezePostgres(): Promise<void>;
  /** SIGCONT to the processes frozen. */
  thawPostgres(): Promise<void>;
  /** Stops both servers and deletes their files. */
  stop(): Promise<void>;
}

/**
 * A PostgreSQL and a Redis of the suite's own (scripts/test-services.sh on
 * free ports and a folder of its own), for tests that must stop a server:
 * the shared ones serve everybody else.
 */
export async function startOwnServices(): Promise<OwnServices> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed');
  const dir = `/tmp/saas-core-own-${process.pid}-${Date.now()}`;
  const [pgPort, redisPort] = [await freePort(), await freePort()];
  const env = { ...process.env, SERVICES_DIR: dir, TEST_PG_PORT: String(pgPort), TEST_REDIS_PORT: String(redisPort) };
  await run('bash', [SCRIPT, 'start'], { env });
  const asPostgres = (command: string) =>
    process.getuid?.() === 0 ? run('su', ['postgres', '-s', '/bin/bash', '-c', command]) : run('bash', ['-c', command]);
  const pgCtl = `${bin}/pg_ctl -D '${dir}/pg' -l '${dir}/pg.log' -w -t 60`;
  let frozen: number[] = [];
  const serverProcesses = async () => {
    const postmaster = Number(readFileSync(`${dir}/pg/postmaster.pid`, 'utf8').split('\n')[0]);
    const { stdout } = await run('pgrep', ['-P', String(postmaster)]).catch(() => ({ stdout: '' }));
    return [postmaster, ...stdout.split('\n').filter(Boolean).map(Number)];
  };
  return {
    databaseUrl: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    stopPostgres: async () => {
      await asPostgres(`${pgCtl} -m fast stop`);
    },
    startPostgres: async () => {
      await asPostgres(`${pgCtl} -o "-p ${pgPort} -k '${dir}' -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start`);
    },
    freezePostgres: async () => {
      frozen = await serverProcesses();
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    },
    thawPostgres: async () => {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
      frozen = [];
    },
    stop: async () => {
      await run('bash', [SCRIPT, 'stop'], { env });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
