import { Client } from 'pg';
import { createTestDatabase } from '../support/test-database';
import { startTestApp, TestApp } from '../support/test-app';
import { createProduct, createTenant, TestTenant } from '../support/factories';
import { loadConfig } from '../../src/config/app-config';
import { openDataSource, postgresDataSourceOptions } from '../../src/database/data-source.factory';
import { runMigrations } from '../../src/database/migrator';

/**
 * DATABASE_REPLICA_URLS sends read-only list endpoints to the replica while
 * every write and single-resource read stays on the primary. The "replica"
 * here is a second, separately migrated database whose rows differ from the
 * primary's, so the answers show which server served them.
 * Real PostgreSQL only: the embedded database has no replicas.
 */
if (!process.env.DATABASE_URL) {
  describe('read replicas with the embedded database', () => {
    it('are refused at start: there is nothing to replicate', () => {
      expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'postgres://replica/db' })).toThrow(/^Invalid setting DATABASE_REPLICA_URLS/);
    });
  });
} else describe('read replicas', () => {
  let t: TestApp;
  let replica: Awaited<ReturnType<typeof createTestDatabase>>;
  let tenant: TestTenant;

  beforeAll(async () => {
    replica = await createTestDatabase();
    const migrate = await openDataSource(postgresDataSourceOptions(loadConfig({}), replica.url!, { poolSize: 1 }));
    await runMigrations(migrate);
    await migrate.destroy();
    t = await startTestApp({ DATABASE_REPLICA_URLS: replica.url! });
    tenant = await createTenant(t.http);
    // The replica knows the tenant but none of its products.
    const client = new Client({ connectionString: replica.url });
    await client.connect();
    await client.query('INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)', [tenant.id, tenant.slug, 'replica copy']);
    await client.end();
  });
  afterAll(async () => {
    await t.close();
    await replica.drop();
  });

  it('writes and single reads go to the primary, list reads to the replica', async () => {
    const product = await createProduct(t.http, tenant);
    const single = await t.http.get(`/api/svm/products/${product.id}`, { token: tenant.admin.token });
    expect(single.status).toBe(200);
    const list = await t.http.get('/api/svm/products', { token: tenant.admin.token });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([]);
  });
});
