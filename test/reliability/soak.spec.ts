import { performance } from 'node:perf_hooks';
import { createFundedWallet, idempotencyKey } from '../support/commerce';
import { createProduct, createTenant, createUser, TestProduct, TestTenant, TestUser } from '../support/factories';
import { TestResponse } from '../support/http';
import { countFromEnv, Rng, seedFromEnv } from '../support/prng';
import {
  buildService,
  createServiceStore,
  mainThreadSchedule,
  residentSetSize,
  ServiceProcess,
  ServiceStore,
  startServiceProcess,
} from '../support/service-process';

/**
 * Soak: steady mixed traffic (reads, writes, checkouts, logins) at a fixed
 * arrival rate against the built service as a child process (run as the
 * manifests run it, --max-old-space-size=384), plus bursts at a second
 * instance with small rate limits. Afterwards: no error at all; RSS flat
 * after the warm-up (median of the last stretch under 50 MB above that of
 * the first measured stretch); and, in the long run, the p99 of the last
 * stretch no higher than that of the first times a tolerance (a ratio within
 * the run, never an absolute time). The short run in CI prints that ratio
 * but does not judge it: a few seconds on a shared machine are too few
 * windows for a median to outvote a neighbour's burst.
 *
 * The machine is shared: a window's p99 is divided by how much CPU
 * contention stretched the service's own work in that window ((cpu +
 * run-queue wait) / cpu of its event loop, from /proc), and a stretch's p99
 * is the median over its windows, so that other processes' bursts are not
 * read as the service slowing down while a steady rise still is.
 *
 * Short by default (SOAK_SECONDS=40: windows of 4 s, 8 s of warm-up, 12 s
 * stretches compared); the long run is SOAK_SECONDS=600 (windows of 60 s:
 * the first minute is warm-up, the second minute is compared with the
 * last). SOAK_RATE sets requests per second, SOAK_P99_TOLERANCE the ratio,
 * SOAK_SEED replays the mix.
 */
const SECONDS = countFromEnv('SOAK_SECONDS', 40);
const WINDOW_SECONDS = countFromEnv('SOAK_WINDOW_SECONDS', SECONDS >= 300 ? 60 : 4);
/** About 8 s of warm-up (the first minute in the long run). */
const WARMUP_WINDOWS = Math.max(1, Math.ceil(8 / WINDOW_SECONDS));
/** Windows compared at each end: about 12 s (one minute in the long run). */
const STRETCH_WINDOWS = Math.max(1, Math.round(12 / WINDOW_SECONDS));
const RATE = countFromEnv('SOAK_RATE', 40);
const P99_TOLERANCE = Number(process.env.SOAK_P99_TOLERANCE ?? 3);
const JUDGES_P99 = SECONDS >= 300;
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
  p50: number;
  p99: number;
  /** Median RSS of the service during the window. */
  rssMb: number;
  /** (cpu + run-queue wait) / cpu of the service's event loop: 1 on an idle machine. */
  contention: number;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0);
const round = (n: number) => Math.round(n * 10) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** p50/p99 of each operation in the first and the last stretch: which one slows down, if any. */
function byOperation(samples: Sample[], first: WindowReport[], last: WindowReport[]): string {
  const inStretch = (stretch: WindowReport[], op: string) =>
    samples
      .filter((s) => s.op === op && s.window >= stretch[0].window && s.window <= stretch.at(-1)!.window)
      .map((s) => s.ms)
      .sort((a, b) => a - b);
  return [...new Set(samples.map((s) => s.op))]
    .sort()
    .map((op) => {
      const [a, b] = [inStretch(first, op), inStretch(last, op)];
      return `  ${op}: p50 ${round(percentile(a, 50))} → ${round(percentile(b, 50))} ms, p99 ${round(percentile(a, 99))} → ${round(percentile(b, 99))} ms`;
    })
    .join('\n');
}

describe(`soak: ${SECONDS} s of mixed traffic at ${RATE} requests/s (SOAK_SEED=${seed})`, () => {
  let stores: ServiceStore[] = [];
  let main: ServiceProcess;
  let bursts: ServiceProcess;

  beforeAll(async () => {
    await buildService();
    stores = [await createServiceStore('soak'), await createServiceStore('soak-bursts')];
    main = await startServiceProcess({ ...stores[0].env, NODE_OPTIONS: '--max-old-space-size=384' });
    // The burst target limits every client address to a few requests per window.
    bursts = await startServiceProcess({ ...stores[1].env, RATE_LIMIT_DEFAULT: '20', RATE_LIMIT_AUTH: '5', RATE_LIMIT_WINDOW_SECONDS: '10' });
  });
  afterAll(async () => {
    await main?.kill();
    await bursts?.kill();
    for (const store of stores) await store.drop();
  });

  it('serves every request, keeps its memory flat and its p99 from rising', async () => {
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
    const schedule: Array<{ window: number; cpuNs: number; waitNs: number }> = [];
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
        const window = windowOf(performance.now());
        rss.push({ window, bytes: await residentSetSize(main.child.pid!) });
        schedule.push({ window, ...(await mainThreadSchedule(main.child.pid!)) });
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
    /** (cpu + run-queue wait) / cpu of the service's event loop during a window. */
    const contentionIn = (window: number) => {
      const before = schedule.filter((s) => s.window < window).at(-1) ?? schedule[0];
      const after = schedule.filter((s) => s.window <= window).at(-1)!;
      const cpu = after.cpuNs - before.cpuNs;
      return cpu > 0 ? round(1 + (after.waitNs - before.waitNs) / cpu) : 1;
    };
    const reports: WindowReport[] = Array.from({ length: windows }, (_, window) => {
      const latencies = samples
        .filter((s) => s.window === window)
        .map((s) => s.ms)
        .sort((a, b) => a - b);
      return {
        window,
        requests: latencies.length,
        p50: round(percentile(latencies, 50)),
        p99: round(percentile(latencies, 99)),
        rssMb: round(median(rss.filter((r) => r.window === window).map((r) => r.bytes)) / 1048576),
        contention: contentionIn(window),
      };
    });
    // Warm-up, then the first and the last stretch of windows.
    const first = reports.slice(WARMUP_WINDOWS, WARMUP_WINDOWS + STRETCH_WINDOWS);
    const last = reports.slice(-STRETCH_WINDOWS);
    expect(last[0].window).toBeGreaterThan(first.at(-1)!.window);
    const rssGrowth = median(last.map((r) => r.rssMb)) - median(first.map((r) => r.rssMb));
    /** A stretch's p99: the median of its windows' p99s, each divided by its window's CPU contention. */
    const stretchP99 = (stretch: WindowReport[]) => round(median(stretch.map((r) => r.p99 / r.contention)));
    const [firstP99, lastP99] = [stretchP99(first), stretchP99(last)];
    process.stdout.write(
      `soak: ${samples.length} requests in ${round(elapsed)} s (${round(samples.length / elapsed)}/s), ${errors.length} errors; ` +
        `RSS ${median(first.map((r) => r.rssMb))} MB after warm-up, ${median(last.map((r) => r.rssMb))} MB at the end; ` +
        `p99 over contention ${firstP99} ms first, ${lastP99} ms last; ` +
        `bursts ${JSON.stringify(Object.fromEntries(burstStatuses))}, ${burstErrors} burst errors\n` +
        reports
          .map((r) => `  window ${r.window}: ${r.requests} requests, p50 ${r.p50} ms, p99 ${r.p99} ms, RSS ${r.rssMb} MB, CPU contention ×${r.contention}`)
          .join('\n') +
        '\n' +
        byOperation(samples, first, last) +
        '\n',
    );

    expect(errors.slice(0, 20)).toEqual([]);
    expect(burstErrors).toBe(0);
    expect(reports.every((r) => r.requests > 0)).toBe(true);
    expect(rssGrowth * 1048576).toBeLessThan(RSS_GROWTH_LIMIT);
    if (JUDGES_P99) expect(lastP99).toBeLessThanOrEqual(firstP99 * P99_TOLERANCE);
  });
});
