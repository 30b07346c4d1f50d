'use strict';
// PostgreSQL and Redis for a run: the ones named in the environment, or a
// throwaway pair of the run's own (scripts/test-services.sh). On a shared
// server the run works in a database of its own, dropped at the end.
const { execFile } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdtempSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const { Client } = require('pg');
const { freePort, onCleanup } = require('./processes');

const SERVICES_SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'test-services.sh');

/** Starts a throwaway PostgreSQL + Redis on free ports; stopped at the end of the run. */
async function startThrowawayServices(log) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'saas-core-loadtest-'));
  const env = { ...process.env, SERVICES_DIR: dir, TEST_PG_PORT: String(await freePort()), TEST_REDIS_PORT: String(await freePort()) };
  log(`starting a throwaway PostgreSQL (port ${env.TEST_PG_PORT}) and Redis (port ${env.TEST_REDIS_PORT}) in ${dir}`);
  const run = (action) => promisify(execFile)('bash', [SERVICES_SCRIPT, action], { env, timeout: 180_000 });
  onCleanup('stop the throwaway PostgreSQL and Redis', async () => {
    await run('stop');
    // The data directory belongs to the postgres user once initdb ran in it.
    await promisify(execFile)('rm', ['-rf', dir], { timeout: 30_000 });
  });
  const { stdout } = await run('start');
  const urls = {};
  for (const match of stdout.matchAll(/^export (DATABASE_URL|REDIS_URL)=(\S+)$/gm)) urls[match[1]] = match[2];
  if (!urls.DATABASE_URL || !urls.REDIS_URL) throw new Error(`scripts/test-services.sh start printed no URLs:\n${stdout}`);
  return { databaseUrl: urls.DATABASE_URL, redisUrl: urls.REDIS_URL };
}

async function withClient(url, work) {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates `loadtest_<random>` on the server of `serverUrl` and returns its URL;
 * the database is dropped at the end of the run, so others' data is never touched.
 */
async function createRunDatabase(serverUrl, log) {
  const name = `loadtest_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  log(`created database ${name}`);
  onCleanup(`drop database ${name}`, () => withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Deletes the keys under `prefix` (rate-limit counters of the run) at the end of the run. */
function cleanRedisPrefixAtEnd(redisUrl, prefix) {
  onCleanup(`delete Redis keys ${prefix}*`, async () => {
    const Redis = require('ioredis');
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    await redis.connect();
    try {
      let cursor = '0';
      const deadline = Date.now() + 15_000;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0' && Date.now() < deadline);
    } finally {
      redis.disconnect();
    }
  });
}

module.exports = { startThrowawayServices, createRunDatabase, cleanRedisPrefixAtEnd };
