import { DatabaseState } from '../../src/database/database-state';
import { createTestDatabase } from '../support/test-database';
import { startTestApp, TestApp } from '../support/test-app';
import { createTenant, login } from '../support/factories';

/**
 * Several instances of the service on one PostgreSQL and one Redis, as
 * Kubernetes runs them: started at once on an empty database, exactly one
 * applies the migrations; a session ended on one is refused by the other.
 */
if (process.env.DATABASE_URL && process.env.REDIS_URL) {
  describe('two instances sharing PostgreSQL and Redis', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let instances: TestApp[];

    beforeAll(async () => {
      database = await createTestDatabase();
      const shared = { REDIS_KEY_PREFIX: `scale-${Date.now()}:` };
      instances = await Promise.all([1, 2].map(() => startTestApp(shared, { databaseUrl: database.url })));
    });
    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.close()));
      await database.drop();
    });

    it('lets exactly one instance apply the migrations, and both become ready', async () => {
      const applied = instances.map((instance) => instance.app.get(DatabaseState).migrationsApplied.length).sort();
      expect(applied[0]).toBe(0);
      expect(applied[1]).toBeGreaterThan(0);
      for (const instance of instances) {
        expect((await instance.http.get('/api/health/ready')).status).toBe(200);
        expect((await instance.http.get('/api/health/startup')).status).toBe(200);
      }
    });

    it('refuses on one instance a session logged out on the other, at once', async () => {
      const [one, two] = instances;
      const tenant = await createTenant(one.http);
      const session = await login(two.http, tenant.slug, tenant.admin.email, tenant.admin.password);
      expect((await one.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(200);
      expect((await two.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(200);
      expect((await one.http.post('/api/auth/logout', undefined, { token: session.accessToken })).status).toBe(204);
      // The revocation travels through Redis pub/sub; poll briefly for its delivery, then it must hold.
      const deadline = Date.now() + 2000;
      let status = 200;
      while (Date.now() < deadline && status !== 401) status = (await two.http.get('/api/auth/me', { token: session.accessToken })).status;
      expect(status).toBe(401);
      expect((await two.http.post('/api/auth/refresh', { refreshToken: session.refreshToken })).status).toBe(401);
    });
  });
} else {
  describe('starting without migrations on an empty embedded database', () => {
    it('stops with a message that says to run the migrations', async () => {
      await expect(startTestApp({ MIGRATIONS_RUN: 'false' })).rejects.toThrow(/run the migrations first/);
    });
  });
}
