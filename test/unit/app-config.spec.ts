import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../../src/database/data-source.factory';
import { ConfigError, loadConfig } from '../../src/config/app-config';

describe('loadConfig', () => {
  it('applies the defaults of API.md', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      PGLITE_DATA_DIR: './data/pglite',
      ACCESS_TOKEN_TTL: 900,
      REFRESH_TOKEN_TTL: 2592000,
      TRUST_PROXY: 0,
      RATE_LIMIT_ENABLED: true,
      RATE_LIMIT_AUTH: 10,
      RATE_LIMIT_WALLETS: 60,
      RATE_LIMIT_CART: 100,
      RATE_LIMIT_ORDERS: 30,
      RATE_LIMIT_DEFAULT: 200,
      RATE_LIMIT_WINDOW_SECONDS: 60,
      BODY_LIMIT_BYTES: 1048576,
      AUDIT_BATCH_SIZE: 100,
      AUDIT_FLUSH_INTERVAL_MS: 5000,
      LOG_LEVEL: 'info',
      SEED_DEMO: true,
      SHUTDOWN_DRAIN_MS: 5000,
      MIGRATIONS_RUN: true,
      embeddedDatabase: true,
    });
  });

  it('seeds the demo tenant by default only on the embedded database', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).SEED_DEMO).toBe(false);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'http://x'],
    ['JWT_SECRET', 'short'],
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', '99999999999999999999'],
    ['HOST', 'not a host'],
    ['HOST', '999.1.1.1'],
    ['RATE_LIMIT_ENABLED', 'maybe'],
    ['RATE_LIMIT_AUTH', '0'],
    ['RATE_LIMIT_WALLETS', '1.5'],
    ['BODY_LIMIT_BYTES', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['MIGRATIONS_RUN', 'yes'],
    ['DATABASE_REPLICA_URLS', 'postgres://a/b,nope'],
  ])('refuses %s=%s with a message that names the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid setting ${name}:`));
  });

  it('requires JWT_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
  });

  it.each(['127.0.0.1', '::', 'localhost', 'api.internal', 'saas-core-0.saas-core'])('accepts HOST=%s', (host) => {
    expect(loadConfig({ HOST: host }).HOST).toBe(host);
  });

  it('names PGLITE_DATA_DIR when the folder cannot be made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saas-core-config-'));
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    try {
      await expect(openPglite(join(file, 'pglite'))).rejects.toThrow(/^Invalid setting PGLITE_DATA_DIR: cannot use .* \(ENOTDIR\)$/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('reads TRUST_PROXY as a hop count', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
  });
});
