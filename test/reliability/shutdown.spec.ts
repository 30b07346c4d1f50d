import { randomBytes } from 'node:crypto';
import { buildService, createServiceStore, exitWithin, ServiceProcess, ServiceStore, startServiceProcess } from '../support/service-process';
import { PLATFORM_TOKEN } from '../support/test-app';

jest.setTimeout(180_000);

const DRAIN_MS = 2000;
const CONCURRENCY = 16;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Service extends ServiceProcess {
  /** Where the audit rows can be read after the process is gone. */
  readAuditTypes: () => Promise<string[]>;
  cleanup: () => Promise<void>;
}

/** Runs the built service (`node dist/main.js`) as production does, on its own fresh database. */
async function startService(drainMs: number): Promise<Service> {
  const store: ServiceStore = await createServiceStore('shutdown');
  const service = await startServiceProcess({ ...store.env, SHUTDOWN_DRAIN_MS: String(drainMs) });
  return {
    ...service,
    readAuditTypes: async () => (await store.query<{ type: string }>('SELECT type FROM audit_logs ORDER BY created_at')).map((r) => r.type),
    cleanup: async () => {
      await service.kill();
      await store.drop();
    },
  };
}

interface Outcome {
  path: string;
  at: number;
  status?: number;
  error?: string;
}

/**
 * Closed-loop load: `CONCURRENCY` workers each send one request after the
 * other until told to stop, as a load balancer would until it took the
 * instance out; one worker in eight on a route that reads the database (a
 * transaction each: on the embedded database it runs on the service's own
 * thread), the others on liveness.
 */
function runLoad(baseUrl: string, token: string) {
  const outcomes: Outcome[] = [];
  let stopped = false;
  const worker = async (id: number) => {
    const path = id % 8 === 0 ? '/api/users?limit=5' : '/api/health';
    while (!stopped) {
      try {
        const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        outcomes.push({ path, at: Date.now(), status: res.status });
      } catch (error) {
        outcomes.push({ path, at: Date.now(), error: String((error as Error & { cause?: Error }).cause ?? error) });
      }
    }
  };
  const startedAt = Date.now();
  const done = Promise.all(Array.from({ length: CONCURRENCY }, (_, id) => worker(id)));
  return {
    outcomes,
    /** Stops sending and waits for the requests in flight; returns the rate achieved. */
    stop: async () => {
      stopped = true;
      await done;
      return outcomes.length / ((Date.now() - startedAt) / 1000);
    },
  };
}

/** A login whose JSON body trickles in over `ms`: its request is in flight for that long. */
async function slowLogin(baseUrl: string, body: object, ms: number): Promise<number> {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  const chunks = 10;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (let i = 0; i < chunks; i++) {
        controller.enqueue(bytes.slice(Math.floor((i * bytes.length) / chunks), Math.floor(((i + 1) * bytes.length) / chunks)));
        await sleep(ms / chunks);
      }
      controller.close();
    },
  });
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: stream,
    duplex: 'half',
  } as RequestInit);
  await res.arrayBuffer();
  return res.status;
}

describe('graceful shutdown of the built service', () => {
  beforeAll(() => buildService());

  describe('SIGTERM under load', () => {
    let service: Service;
    let load: ReturnType<typeof runLoad> | undefined;
    // The load stops first: left running after a failed expectation, its workers would keep jest alive.
    afterAll(async () => {
      await load?.stop();
      await service?.cleanup();
    });

    it('flips readiness at once, serves every request during the drain, finishes in-flight ones, flushes audit and exits 0', async () => {
      service = await startService(DRAIN_MS);
      const slug = `shutdown-${randomBytes(4).toString('hex')}`;
      const password = 'correct horse battery staple';
      expect(
        (
          await service.http.post(
            '/api/admin/tenants',
            { slug, name: 'Shutdown', adminEmail: 'admin@example.com', adminPassword: password },
            { token: PLATFORM_TOKEN },
          )
        ).status,
      ).toBe(201);
      const token = (await service.http.post('/api/auth/login', { tenant: slug, email: 'admin@example.com', password })).body.accessToken;
      expect(typeof token).toBe('string');
      const beforeSignal = await service.http.get('/api/health/ready');
      expect([beforeSignal.status, beforeSignal.headers.connection]).toEqual([200, 'keep-alive']);

      load = runLoad(service.http.baseUrl, token);
      await sleep(2000);
      const signalledAt = Date.now();
      service.child.kill('SIGTERM');

      // Readiness turns 503 while everything else is still served.
      let ready = await service.http.get('/api/health/ready');
      while (ready.status !== 503 && Date.now() < signalledAt + DRAIN_MS) ready = await service.http.get('/api/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.details.lifecycle).toEqual({ status: 'down', message: 'shutting down' });
      // Every request arriving during the drain is answered with Connection: close, so that clients reconnect elsewhere.
      const live = await service.http.get('/api/health/live');
      expect([live.status, live.headers.connection]).toEqual([200, 'close']);
      expect(ready.headers.connection).toBe('close');

      // Buffered audit events of the drain must be written before the database closes.
      const failed = await service.http.post('/api/auth/login', { tenant: slug, email: 'admin@example.com', password: 'wrong password' });
      expect(failed.status).toBe(401);

      // A request still arriving when the drain ends: it must get its answer.
      await sleep(Math.max(0, signalledAt + DRAIN_MS - 500 - Date.now()));
      const inFlight = slowLogin(service.http.baseUrl, { tenant: slug, email: 'admin@example.com', password }, 1500);
      const rate = await load.stop();

      expect(await inFlight).toBe(200);
      const failures = load.outcomes.filter((o) => o.status !== 200);
      expect(failures).toEqual([]);
      expect(load.outcomes.filter((o) => o.path.startsWith('/api/users')).length).toBeGreaterThan(0);
      expect(rate).toBeGreaterThanOrEqual(200);

      const exit = await exitWithin(service, DRAIN_MS + 10_000 - (Date.now() - signalledAt));
      expect({ exit, output: service.output() }).toEqual({ exit: { code: 0, signal: null }, output: expect.any(String) });

      const types = await service.readAuditTypes();
      expect(types).toEqual(expect.arrayContaining(['AUTH_LOGIN', 'AUTH_FAILED']));
      expect(types.filter((type) => type === 'AUTH_LOGIN').length).toBeGreaterThanOrEqual(2);
    });
  });

  describe('a second signal', () => {
    let service: Service;
    afterAll(() => service?.cleanup());

    it('exits at once with 1 instead of waiting for the drain', async () => {
      service = await startService(120_000);
      service.child.kill('SIGTERM');
      const deadline = Date.now() + 10_000;
      let ready = await service.http.get('/api/health/ready');
      while (ready.status !== 503 && Date.now() < deadline) ready = await service.http.get('/api/health/ready');
      expect(ready.status).toBe(503);
      expect((await service.http.get('/api/health')).status).toBe(200);

      service.child.kill('SIGTERM');
      expect(await exitWithin(service, 10_000)).toEqual({ code: 1, signal: null });
    });
  });
});
