import { performance } from 'node:perf_hooks';
import { createFundedWallet, idempotencyKey } from '../support/commerce';
import { createProduct, createTenant, createUser, TestProduct, TestTenant, TestUser } from '../support/factories';
import { TestResponse } from '../support/http';
import { countFromEnv, Rng, seedFromEnv } from '../support/prng';
import { buildService, createServiceStore, residentSetSize, ServiceProcess, ServiceStore, startServiceProcess } from '../support/service-process';

/**
 * Soak: steady mixed traffic (reads, writes, checkouts, logins) at a fixed
 * arrival rate against the built service as a child process, plus bursts at
 * a second instance with small rate limits. Afterwards: no error at all, the
 * service's RSS flat after the warm-up window (growth under 50 MB). The p99
 * of every window, and the last-to-first ratio, are printed for the record
 * (docs/RELIABILITY.md) but not asserted: on a shared machine a latency is a
 * benchmark's figure, never a test's verdict.
 *
 * Short by default (SOAK_SECONDS=24, windows of 4 s); the long run is
 * SOAK_SECONDS=600 (windows of 60 s). SOAK_RATE sets requests per second,
 * SOAK_SEED replays the mix.
 */
const SECONDS = countFromEnv('SOAK_SECONDS', 24);
const WINDOW_SECONDS = countFromEnv('SOAK_WINDOW_SECONDS', SECONDS >= 300 ? 60 : 4);
const RATE = countFromEnv('SOAK_RATE', 40);
const RSS_GROWTH_LIMIT = 50 * 1024 * 1024;
const MAX_IN_FLIGHT = 200;
const BURST_EVERY_MS = 2000;
const BURST_SIZE = 20;
const USERS = 8;
const seed = seedFromEnv('SOAK_SEED');

jest.setTimeout((SECONDS + 300) * 1000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  window: number;
  op: string;
  ms: number;
  status: number;
}

interface SoakUser extends TestUser {
  walletId: string;
  /** A checkout flow (add, then pay) of this user is running: its cart is not touched meanwhile. */
  busy: boolean;
}

interface WindowReport {
  window: number;
  requests: number;
  errors: number;
  p50: number;
  p99: number;
  rssMb: number;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0);
const round = (n: number) => Math.round(n * 10) / 10;

describe(`soak: ${SECONDS} s of mixed traffic at ${RATE} requests/s (SOAK_SEED=${seed})`, () => {
  let stores: ServiceStore[] = [];
  let main: ServiceProcess;
  let bursts: ServiceProcess;

  beforeAll(async () => {
    await buildService();
    stores = [await createServiceStore('soak'), await createServiceStore('soak-bursts')];
    main = await startServiceProcess(stores[0].env);
    // The burst target limits every client address to a few requests per window.
    bursts = await startServiceProcess({ ...stores[1].env, RATE_LIMIT_DEFAULT: '20', RATE_LIMIT_AUTH: '5', RATE_LIMIT_WINDOW_SECONDS: '10' });
  });
  afterAll(async () => {
    await main?.kill();
    await bursts?.kill();
    for (const store of stores) await store.drop();
  });

  it('serves every request and keeps its memory flat', async () => {
    const rng = new Rng(seed);
    const http = main.http;
    const tenant = await createTenant(http);
    const products: TestProduct[] = [];
    for (const unitPrice of [100, 250]) products.push(await createProduct(http, tenant, { unitPrice, stock: 1_000_000_000 }));
    const users: SoakUser[] = [];
    for (let i = 0; i < USERS; i++) {
      const user = await createUser(http, tenant, 'member');
      users.push({ ...user, walletId: await createFundedWallet({ http }, tenant, user, 'EUR', 1_000_000_000), busy: false });
    }
    const burstTenant = await createTenant(bursts.http);

    const samples: Sample[] = [];
    const errors: string[] = [];
    const rss: Array<{ window: number; bytes: number }> = [];
    const started = performance.now();
    const windowOf = (at: number) => Math.floor((at - started) / (WINDOW_SECONDS * 1000));
    let inFlight = 0;

    const timed = async (op: string, send: () => Promise<TestResponse>, ok: number[]): Promise<TestResponse | null> => {
      const at = performance.now();
      try {
        const res = await send();
        samples.push({ window: windowOf(at), op, ms: performance.now() - at, status: res.status });
        if (!ok.includes(res.status)) errors.push(`${op}: ${res.status} ${res.text.slice(0, 200)}`);
        return res;
      } catch (error) {
        errors.push(`${op}: no answer (${String((error as Error & { cause?: Error }).cause ?? error)})`);
        return null;
      }
    };

    const operations: Array<[string, number, (user: SoakUser) => Promise<unknown>]> = [
      ['list products', 12, (u) => timed('list products', () => http.get('/api/svm/products?limit=20', { token: u.token }), [200])],
      ['read wallet', 10, (u) => timed('read wallet', () => http.get(`/api/wallets/${u.walletId}`, { token: u.token }), [200])],
      ['wallet entries', 8, (u) => timed('wallet entries', () => http.get(`/api/wallets/${u.walletId}/transactions?limit=10`, { token: u.token }), [200])],
      ['read cart', 6, (u) => timed('read cart', () => http.get('/api/svm/cart', { token: u.token }), [200])],
      ['list orders', 6, (u) => timed('list orders', () => http.get('/api/svm/orders?limit=10', { token: u.token }), [200])],
      ['me', 3, (u) => timed('me', () => http.get('/api/auth/me', { token: u.token }), [200])],
      [
        'transfer',
        25,
        (u) => {
          const to = users[(users.indexOf(u) + rng.int(1, USERS - 1)) % USERS];
          const body = { fromWalletId: u.walletId, toWalletId: to.walletId, amount: rng.int(1, 100) };
          return timed('transfer', () => http.post('/api/wallets/transfers', body, { token: u.token, headers: { 'idempotency-key': idempotencyKey() } }), [201]);
        },
      ],
      [
        'credit',
        3,
        (u) =>
          timed(
            'credit',
            () => http.post(`/api/wallets/${u.walletId}/credit`, { amount: 500 }, { token: tenant.admin.token, headers: { 'idempotency-key': idempotencyKey() } }),
            [201],
          ),
      ],
      [
        'checkout',
        12,
        async (u) => {
          if (u.busy) return timed('read cart', () => http.get('/api/svm/cart', { token: u.token }), [200]);
          u.busy = true;
          try {
            const added = await timed('add to cart', () => http.post('/api/svm/cart/items', { productId: rng.pick(products).id, quantity: 1 }, { token: u.token }), [201]);
            if (added?.status === 201) {
              await timed('checkout', () => http.post('/api/svm/orders', { walletId: u.walletId }, { token: u.token, headers: { 'idempotency-key': idempotencyKey() } }), [201]);
            }
          } finally {
            u.busy = false;
          }
        },
      ],
      ['login', 8, (u) => timed('login', () => http.post('/api/auth/login', { tenant: tenant.slug, email: u.email, password: u.password }), [200])],
    ];

    // Bursts at the other instance: over its limits, so 429s are fine (once the limiter is there); errors are not.
    const burstStatuses = new Map<number, number>();
    let burstErrors = 0;
    const burst = async (tenantOfBursts: TestTenant) => {
      await Promise.all(
        Array.from({ length: BURST_SIZE }, async (_, i) => {
          const res =
            i % 2 === 0
              ? await bursts.http.get('/api/svm/products', { token: tenantOfBursts.admin.token }).catch(() => null)
              : await bursts.http
                  .post('/api/auth/login', { tenant: tenantOfBursts.slug, email: tenantOfBursts.admin.email, password: tenantOfBursts.admin.password })
                  .catch(() => null);
          if (!res || res.status >= 500) burstErrors++;
          else burstStatuses.set(res.status, (burstStatuses.get(res.status) ?? 0) + 1);
        }),
      );
    };

    let running = true;
    const sampler = (async () => {
      while (running) {
        rss.push({ window: windowOf(performance.now()), bytes: await residentSetSize(main.child.pid!) });
        await sleep(1000);
      }
    })();
    const burster = (async () => {
      while (running) {
        await burst(burstTenant);
        await sleep(BURST_EVERY_MS);
      }
    })();

    // Open loop: each request leaves at its time, whether or not the earlier ones were answered.
    const pending = new Set<Promise<unknown>>();
    const total = RATE * SECONDS;
    const choices = operations.map(([, weight, run]) => [run, weight] as const);
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / RATE - performance.now();
      if (wait > 0) await sleep(wait);
      if (inFlight >= MAX_IN_FLIGHT) {
        errors.push(`more than ${MAX_IN_FLIGHT} requests in flight: the service fell behind`);
        continue;
      }
      inFlight++;
      const work = rng.weighted(choices)(rng.pick(users)).finally(() => {
        inFlight--;
        pending.delete(work);
      });
      pending.add(work);
    }
    await Promise.all(pending);
    running = false;
    await Promise.all([sampler, burster]);
    const elapsed = (performance.now() - started) / 1000;

    const windows = Math.ceil(SECONDS / WINDOW_SECONDS);
    const reports: WindowReport[] = Array.from({ length: windows }, (_, window) => {
      const latencies = samples
        .filter((s) => s.window === window)
        .map((s) => s.ms)
        .sort((a, b) => a - b);
      const rssInWindow = rss.filter((r) => r.window === window).map((r) => r.bytes);
      return {
        window,
        requests: latencies.length,
        errors: samples.filter((s) => s.window === window && s.status >= 500).length,
        p50: round(percentile(latencies, 50)),
        p99: round(percentile(latencies, 99)),
        rssMb: round((rssInWindow.length ? Math.max(...rssInWindow) : 0) / 1024 / 1024),
      };
    });
    const warmedUp = rss.filter((r) => r.window === 0).at(-1)!.bytes;
    const peakAfter = Math.max(...rss.filter((r) => r.window >= 1).map((r) => r.bytes));
    const first = reports[1];
    const last = reports[reports.length - 1];
    process.stdout.write(
      `soak: ${samples.length} requests in ${round(elapsed)} s (${round(samples.length / elapsed)}/s), ${errors.length} errors, ` +
        `RSS after warm-up ${round(warmedUp / 1048576)} MB, peak after ${round(peakAfter / 1048576)} MB; ` +
        `bursts ${JSON.stringify(Object.fromEntries(burstStatuses))}, ${burstErrors} burst errors\n` +
        reports.map((r) => `  window ${r.window}: ${r.requests} requests, p50 ${r.p50} ms, p99 ${r.p99} ms, RSS ${r.rssMb} MB`).join('\n') +
        `\n  p99 last/first window: ${round(last.p99 / first.p99)}\n`,
    );

    expect(errors.slice(0, 20)).toEqual([]);
    expect(burstErrors).toBe(0);
    expect(reports.every((r) => r.requests > 0)).toBe(true);
    expect(peakAfter - warmedUp).toBeLessThan(RSS_GROWTH_LIMIT);
  });
});
