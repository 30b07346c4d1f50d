import { OwnServices, postgresBinDir, startOwnServices } from '../support/own-services';
import { createTenant } from '../support/factories';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { UnitOfWork } from '../../src/database/unit-of-work';

jest.setTimeout(120_000);

/** Polls `probe` until it returns true; fails with the last observation once `deadlineMs` has passed. */
async function eventually(what: string, deadlineMs: number, probe: () => Promise<{ ok: boolean; seen: unknown }>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let seen: unknown;
  while (Date.now() < deadline) {
    const result = await probe();
    if (result.ok) return;
    seen = result.seen;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not within ${deadlineMs} ms; last seen ${JSON.stringify(seen)}`);
}

// A database outage needs a server that can be stopped: the embedded PGlite
// cannot, and the shared PostgreSQL serves every other suite. So this suite
// runs on the real-PostgreSQL run only (DATABASE_URL set) and where the
// PostgreSQL binaries are installed, on a server of its own.
const canStopPostgres = !!process.env.DATABASE_URL && !!postgresBinDir();

if (!canStopPostgres) {
  // The embedded run proves what it can: liveness and readiness part ways when
  // the one embedded connection is held and the database cannot answer.
  describe('database busy (embedded database)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.close());

    it('keeps liveness at 200 while readiness turns 503 on a database that does not answer', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const holder = t.app.get(UnitOfWork).withoutTenant(() => held);
      try {
        await eventually('readiness 503', 10_000, async () => {
          const res = await t.http.get('/api/health/ready');
          return { ok: res.status === 503, seen: res.status };
        });
        const live = await t.http.get('/api/health/live');
        expect(live.status).toBe(200);
      } finally {
        release();
        await holder;
      }
      await eventually('readiness 200', 15_000, async () => {
        const res = await t.http.get('/api/health/ready');
        return { ok: res.status === 200, seen: res.status };
      });
    });
  });
} else describe('database outage (real PostgreSQL)', () => {
  let services: OwnServices;
  let t: TestApp;
  let token: string;

  /** A request that needs the database, cut off after 5 s so that a hang fails the test instead of passing late. */
  const getUsers = () =>
    fetch(`${t.http.baseUrl}/api/users`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) }).then(
      async (res) => ({ status: res.status, contentType: res.headers.get('content-type'), body: await res.json() }),
    );

  beforeAll(async () => {
    services = await startOwnServices();
    const database = await createTestDatabase(services.databaseUrl);
    t = await startTestApp({ REDIS_URL: services.redisUrl }, { databaseUrl: database.url });
    token = (await createTenant(t.http)).admin.token;
    expect((await getUsers()).status).toBe(200);
  });

  afterAll(async () => {
    await services?.thawPostgres().catch(() => undefined);
    await services?.startPostgres().catch(() => undefined);
    await t?.close();
    await services?.stop();
  });

  it('with the database stopped: liveness 200, readiness and /api/metrics 503, requests 503 SERVICE_UNAVAILABLE', async () => {
    // Requests in flight while the server goes away: connections die while checked out of the pool.
    let stopped = false;
    const statuses: number[] = [];
    const traffic = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (!stopped) statuses.push((await getUsers()).status);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await services.stopPostgres();

    await eventually('readiness 503', 10_000, async () => {
      const res = await t.http.get('/api/health/ready');
      return { ok: res.status === 503, seen: res.status };
    });
    const ready = await t.http.get('/api/health/ready');
    expect(ready.body.details.database.status).toBe('down');
    stopped = true;
    await traffic;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(statuses).toContain(503);

    await eventually('/api/metrics 503', 10_000, async () => {
      const res = await t.http.get('/api/metrics');
      return { ok: res.status === 503, seen: res.status };
    });
    const metrics = await t.http.get('/api/metrics');
    expect(metrics.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(metrics.body).toMatchObject({ status: 'unhealthy', code: 'SERVICE_UNAVAILABLE' });
    expect(metrics.body.checks[0]).toMatchObject({ name: 'database', status: 'unhealthy' });
    expect(metrics.body.timestamp).toEqual(expect.any(String));

    for (const path of ['/api/health/live', '/api/health']) {
      expect((await t.http.get(path)).status).toBe(200);
    }

    // Many at once, more than the pool holds: each answers 503 within 5 s, none hangs.
    const answers = await Promise.all(Array.from({ length: 30 }, () => getUsers()));
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
      expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
    }

    const detailed = await t.http.get('/api/metrics?detailed=true', { token: PLATFORM_TOKEN });
    expect(detailed.status).toBe(503);
    expect(detailed.body.database.records).toBeNull();

    expect((await t.http.get('/api/health/live')).status).toBe(200);
  });

  it('once the database is back: readiness 200 within 15 s, requests served again, no restart', async () => {
    await services.startPostgres();
    await eventually('readiness 200', 15_000, async () => {
      const res = await t.http.get('/api/health/ready');
      return { ok: res.status === 200, seen: res.status };
    });
    expect((await getUsers()).status).toBe(200);
    const metrics = await t.http.get('/api/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body.status).toBe('healthy');
  });

  it('with the database frozen (nothing answers, sockets stay open): 503 within 5 s instead of hanging, then recovery', async () => {
    // Pooled connections that will hang on their next query, and new ones that will never finish connecting.
    expect((await Promise.all(Array.from({ length: 5 }, () => getUsers()))).every((a) => a.status === 200)).toBe(true);
    await services.freezePostgres();
    try {
      const answers = await Promise.all(Array.from({ length: 30 }, () => getUsers()));
      for (const answer of answers) expect(answer.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
      await eventually('readiness 503', 10_000, async () => {
        const res = await t.http.get('/api/health/ready');
        return { ok: res.status === 503, seen: res.status };
      });
      expect((await t.http.get('/api/metrics')).status).toBe(503);
      expect((await t.http.get('/api/health/live')).status).toBe(200);
    } finally {
      await services.thawPostgres();
    }
    await eventually('readiness 200', 15_000, async () => {
      const res = await t.http.get('/api/health/ready');
      return { ok: res.status === 200, seen: res.status };
    });
    expect((await getUsers()).status).toBe(200);
  });
});
