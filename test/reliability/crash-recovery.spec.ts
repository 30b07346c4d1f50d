import { createFundedWallet } from '../support/commerce';
import { createProduct, createTenant, createUser, TestProduct, TestTenant, TestUser } from '../support/factories';
import { HttpClient, TestResponse } from '../support/http';
import { freePort } from '../support/own-services';
import { Rng, seedFromEnv } from '../support/prng';
import { buildService, createServiceStore, runServiceCli, ServiceProcess, ServiceStore, startServiceProcess } from '../support/service-process';

/**
 * Crash in the middle of money: clients run transfers and checkouts while
 * the built service is killed with SIGKILL at random moments and restarted
 * on the same port and data. Every request that got no answer is retried
 * with its same Idempotency-Key until it gets a final one (409
 * IDEMPOTENCY_IN_PROGRESS, for a key whose holder died, after a pause: the
 * lock times out after IDEMPOTENCY_LOCK_TIMEOUT_SECONDS). Afterwards, read
 * from the database once the last process was killed too: each intended
 * movement applied exactly once (the 201s are exactly the ledger's transfers
 * and the orders), balances are what the answers add up to, the ledger
 * reconciles, stock plus sold is the initial stock, and every committed
 * movement has exactly one success audit event. CHAOS_SEED replays the
 * choices and the moments of the kills.
 *
 * On real PostgreSQL and Redis: 16 clients, 5 kills. The embedded database
 * is a folder one process opens at a time; what it promises is the same
 * durability across a SIGKILL and a restart on that folder, checked with
 * fewer clients and kills (its one connection serves them in turn).
 */
jest.setTimeout(600_000);

const LOCK_TIMEOUT_SECONDS = 4;
const INITIAL_BALANCE = 50_000;
const INITIAL_STOCK = 60;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seed = seedFromEnv('CHAOS_SEED');

interface Client {
  user: TestUser;
  walletId: string;
}

interface Movement {
  kind: 'transfer' | 'order';
  key: string;
  status: number;
  code?: string;
  id?: string;
  from: string;
  to?: string;
  amount: number;
  lines?: Array<{ productId: string; quantity: number }>;
}

interface Scenario {
  clients: number;
  kills: number;
  /** Operations each client runs at least; they keep going until the last kill is over. */
  minOpsPerClient: number;
}

/** The service under chaos: killed and restarted on the same port and store. */
class ChaosService {
  restarts = 0;

  constructor(
    public current: ServiceProcess,
    private readonly env: Record<string, string>,
  ) {}

  get http(): HttpClient {
    return this.current.http;
  }

  async killAndRestart(): Promise<void> {
    await this.current.kill();
    const exit = await this.current.exit;
    if (exit.signal !== 'SIGKILL') throw new Error(`the service exited on its own before the kill: ${JSON.stringify(exit)}\n${this.current.output()}`);
    this.current = await startServiceProcess(this.env, { port: this.current.port });
    this.restarts++;
  }
}

/**
 * Sends until a final answer: no answer (the process is gone), 503 (it is
 * starting) and 409 IDEMPOTENCY_IN_PROGRESS (a dead attempt holds the key)
 * are retried with the same request; any other 5xx is noted as a failure
 * and retried too.
 */
/** How often a request was left without an answer, or met the key of a dead attempt: the crash paths taken. */
const seen = { unanswered: 0, inProgress: 0 };

async function untilAnswered(what: string, send: () => Promise<TestResponse>, failures: string[]): Promise<TestResponse> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`${what}: no final answer within 3 minutes`);
    let res: TestResponse;
    try {
      res = await send();
    } catch {
      seen.unanswered++;
      await sleep(100);
      continue;
    }
    if (res.status === 503) {
      await sleep(200);
      continue;
    }
    if (res.status === 409 && res.body?.code === 'IDEMPOTENCY_IN_PROGRESS') {
      seen.inProgress++;
      await sleep(400);
      continue;
    }
    if (res.status >= 500) {
      failures.push(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
      await sleep(200);
      continue;
    }
    return res;
  }
}

async function runScenario(store: ServiceStore, scenario: Scenario) {
  const rng = new Rng(seed);
  const env = { ...store.env, IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: String(LOCK_TIMEOUT_SECONDS), LOG_LEVEL: 'error' };
  const service = new ChaosService(await startServiceProcess(env, { port: await freePort() }), env);
  const http = new HttpClient(service.http.baseUrl);
  try {
    const tenant = await createTenant(http);
    const products: TestProduct[] = [];
    for (const unitPrice of [150, 275, 420]) products.push(await createProduct(http, tenant, { unitPrice, stock: INITIAL_STOCK }));
    const clients: Client[] = [];
    for (let i = 0; i < scenario.clients; i++) {
      const user = await createUser(http, tenant, 'member');
      clients.push({ user, walletId: await createFundedWallet({ http }, tenant, user, 'EUR', INITIAL_BALANCE) });
    }

    const failures: string[] = [];
    const movements: Movement[] = [];
    let chaosOver = false;
    const chaos = (async () => {
      const chaosRng = rng.fork('kills');
      for (let kill = 0; kill < scenario.kills; kill++) {
        await sleep(chaosRng.int(700, 2500));
        await service.killAndRestart();
      }
      chaosOver = true;
    })();
    const workers = clients.map((client, index) =>
      runClient(http, client, clients, products, rng.fork(`client-${index}`), movements, failures, () => chaosOver, scenario.minOpsPerClient),
    );
    await Promise.all([chaos, ...workers]);
    expect(service.restarts).toBe(scenario.kills);
    // The kills did cut requests off.
    expect(seen.unanswered).toBeGreaterThan(0);

    const committed = {
      transfers: movements.filter((m) => m.kind === 'transfer' && m.status === 201),
      orders: movements.filter((m) => m.kind === 'order' && m.status === 201),
    };
    const refused = movements.filter((m) => m.status !== 201);
    expect(failures).toEqual([]);
    expect(refused.filter((m) => !['INSUFFICIENT_FUNDS', 'OUT_OF_STOCK'].includes(m.code ?? ''))).toEqual([]);
    expect(committed.transfers.length).toBeGreaterThan(0);
    expect(committed.orders.length).toBeGreaterThan(0);

    // What the answers add up to, per wallet, is what each wallet holds.
    const expected = new Map(clients.map((c) => [c.walletId, INITIAL_BALANCE]));
    for (const m of [...committed.transfers, ...committed.orders]) {
      expected.set(m.from, expected.get(m.from)! - m.amount);
      if (m.to) expected.set(m.to, expected.get(m.to)! + m.amount);
    }
    const balances = new Map<string, number>();
    for (const client of clients) {
      balances.set(client.walletId, (await http.get(`/api/wallets/${client.walletId}`, { token: client.user.token })).body.balance);
    }
    expect(balances).toEqual(expected);
    const summary = await http.get('/api/ledger/summary', { token: tenant.admin.token });
    expect({ status: summary.status, consistent: summary.body.consistent }).toEqual({ status: 200, consistent: true });
    const verified = await http.get('/api/audit-logs/verify', { token: tenant.admin.token });
    expect({ status: verified.status, valid: verified.body.valid }).toEqual({ status: 200, valid: true });

    // The last process dies like the others; what is on disk is read after.
    await service.current.kill();
    await expectDatabaseHolds(store, tenant, committed, products.map((p) => p.id));
    const reconcile = await runServiceCli('dist/modules/wallets/reconcile.cli.js', [], store);
    expect({ code: reconcile.code, stdout: reconcile.stdout }).toEqual({ code: 0, stdout: expect.stringContaining('the ledger is consistent') });
    return { committed, refused, restarts: service.restarts };
  } finally {
    await service.current.kill();
  }
}

/** One client: transfers to the others and checkouts of one or two products, until the chaos is over. */
async function runClient(
  http: HttpClient,
  client: Client,
  clients: Client[],
  products: Array<{ id: string; unitPrice: number }>,
  rng: Rng,
  movements: Movement[],
  failures: string[],
  chaosOver: () => boolean,
  minOps: number,
): Promise<void> {
  const token = client.user.token;
  for (let done = 0; done < minOps || !chaosOver(); done++) {
    const key = rng.uuid();
    if (rng.chance(0.6)) {
      const to = rng.pick(clients.filter((c) => c !== client)).walletId;
      const amount = rng.int(1, 900);
      const body = { fromWalletId: client.walletId, toWalletId: to, amount };
      const res = await untilAnswered(
        `transfer ${key}`,
        () => http.post('/api/wallets/transfers', body, { token, headers: { 'idempotency-key': key } }),
        failures,
      );
      movements.push({ kind: 'transfer', key, status: res.status, code: res.body?.code, id: res.body?.id, from: client.walletId, to, amount });
      if (res.status === 201 && (res.body.amount !== amount || res.body.fromWalletId !== client.walletId)) failures.push(`transfer ${key} answered ${res.text}`);
      continue;
    }
    const lines = rng
      .pick([[rng.pick(products)], [products[0], rng.pick(products.slice(1))]])
      .map((product) => ({ productId: product.id, quantity: rng.int(1, 2), unitPrice: product.unitPrice }));
    await fillCart(http, token, lines, failures);
    const res = await untilAnswered(
      `checkout ${key}`,
      () => http.post('/api/svm/orders', { walletId: client.walletId }, { token, headers: { 'idempotency-key': key } }),
      failures,
    );
    const total = lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0);
    movements.push({
      kind: 'order',
      key,
      status: res.status,
      code: res.body?.code,
      id: res.body?.id,
      from: client.walletId,
      amount: total,
      lines: lines.map(({ productId, quantity }) => ({ productId, quantity })),
    });
    if (res.status === 201 && res.body.total !== total) failures.push(`order ${key}: total ${res.body.total}, the cart held ${total}`);
  }
}

/**
 * Empties the cart and adds the lines. Adding is not idempotent: when an
 * add gets no answer, whether it happened is unknown, so the cart is
 * emptied and filled again from the start.
 */
async function fillCart(http: HttpClient, token: string, lines: Array<{ productId: string; quantity: number }>, failures: string[]): Promise<void> {
  for (;;) {
    const cleared = await untilAnswered('empty the cart', () => http.delete('/api/svm/cart', { token }), failures);
    if (cleared.status !== 204) throw new Error(`empty the cart: ${cleared.status} ${cleared.text}`);
    let filled = true;
    for (const line of lines) {
      const added = await http.post('/api/svm/cart/items', { productId: line.productId, quantity: line.quantity }, { token }).catch(() => null);
      if (added?.status === 201) continue;
      if (added && added.status !== 503) throw new Error(`add to cart: ${added.status} ${added.text}`);
      filled = false;
      break;
    }
    if (filled) return;
    await sleep(100);
  }
}

async function expectDatabaseHolds(
  store: ServiceStore,
  tenant: TestTenant,
  committed: { transfers: Movement[]; orders: Movement[] },
  productIds: string[],
): Promise<void> {
  const tenantId = tenant.id;
  // Transfers: exactly the answered ones, each with its two entries.
  const entries = await store.query<{ id: string; account_id: string; amount: string }>(
    `SELECT t.id, e.account_id, e.amount::text FROM ledger_transactions t
       JOIN ledger_entries e ON e.tenant_id = t.tenant_id AND e.transaction_id = t.id
      WHERE t.tenant_id = $1 AND t.type = 'transfer' ORDER BY t.id, e.amount`,
    [tenantId],
  );
  const stored = new Map<string, string[]>();
  for (const e of entries) stored.set(e.id, [...(stored.get(e.id) ?? []), `${e.account_id}:${e.amount}`]);
  const answered = new Map(committed.transfers.map((m) => [m.id!, [`${m.from}:${-m.amount}`, `${m.to}:${m.amount}`]]));
  expect(stored).toEqual(answered);

  // Orders: exactly the answered ones, each paid once, with the lines its cart held.
  const orders = await store.query<{ id: string; total: string; payments: number; lines: string }>(
    `SELECT o.id, o.total::text,
            (SELECT count(*)::int FROM ledger_transactions t WHERE t.tenant_id = o.tenant_id AND t.order_id = o.id AND t.type = 'payment') AS payments,
            (SELECT string_agg(i.product_id || 'x' || i.quantity, ',' ORDER BY i.product_id) FROM order_items i
              WHERE i.tenant_id = o.tenant_id AND i.order_id = o.id) AS lines
       FROM orders o WHERE o.tenant_id = $1`,
    [tenantId],
  );
  expect(new Map(orders.map((o) => [o.id, { total: Number(o.total), payments: o.payments, lines: o.lines }]))).toEqual(
    new Map(
      committed.orders.map((m) => [
        m.id!,
        {
          total: m.amount,
          payments: 1,
          lines: [...m.lines!]
            .sort((a, b) => (a.productId < b.productId ? -1 : 1))
            .map((l) => `${l.productId}x${l.quantity}`)
            .join(','),
        },
      ]),
    ),
  );

  // Stock: what is left plus what was sold is what there was.
  const stock = await store.query<{ id: string; stock: number; sold: number }>(
    `SELECT p.id, p.stock, coalesce((SELECT sum(i.quantity)::int FROM order_items i WHERE i.tenant_id = p.tenant_id AND i.product_id = p.id), 0) AS sold
       FROM products p WHERE p.tenant_id = $1`,
    [tenantId],
  );
  expect(stock.map((p) => ({ id: p.id, total: p.stock + p.sold })).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
    productIds.map((id) => ({ id, total: INITIAL_STOCK })).sort((a, b) => a.id.localeCompare(b.id)),
  );

  // Audit: one success event per committed movement, none for anything else.
  const audit = await store.query<{ type: string; ref: string; n: number }>(
    `SELECT type, CASE type WHEN 'WALLET_TRANSFER' THEN metadata->>'transactionId' ELSE resource_id END AS ref, count(*)::int AS n
       FROM audit_logs WHERE tenant_id = $1 AND outcome = 'success' AND type IN ('WALLET_TRANSFER', 'ORDER_CREATE')
      GROUP BY 1, 2`,
    [tenantId],
  );
  expect(new Map(audit.map((a) => [`${a.type} ${a.ref}`, a.n]))).toEqual(
    new Map([
      ...committed.transfers.map((m) => [`WALLET_TRANSFER ${m.id}`, 1] as const),
      ...committed.orders.map((m) => [`ORDER_CREATE ${m.id}`, 1] as const),
    ]),
  );

  // Every key reached its final answer: none is left pending.
  const [{ pending }] = await store.query<{ pending: number }>(
    "SELECT count(*)::int AS pending FROM idempotency_keys WHERE tenant_id = $1 AND state = 'pending'",
    [tenantId],
  );
  expect(pending).toBe(0);
}

const realServers = !!process.env.DATABASE_URL;

describe(`SIGKILL in the middle of money (CHAOS_SEED=${seed})`, () => {
  let store: ServiceStore;
  beforeAll(async () => {
    await buildService();
    store = await createServiceStore('crash');
  });
  afterAll(() => store?.drop());

  const scenario: Scenario = realServers ? { clients: 16, kills: 5, minOpsPerClient: 6 } : { clients: 16, kills: 5, minOpsPerClient: 6 };
  const where = realServers ? 'on PostgreSQL and Redis' : 'on the embedded database folder';

  it(`${scenario.clients} clients, ${scenario.kills} kills ${where}: every movement exactly once, the ledger reconciles, stock and audit add up`, async () => {
    process.stdout.write(`crash-recovery: CHAOS_SEED=${seed}\n`);
    const outcome = await runScenario(store, scenario);
    process.stdout.write(
      `crash-recovery: ${outcome.restarts} restarts; ${outcome.committed.transfers.length} transfers and ${outcome.committed.orders.length} orders committed, ` +
        `${outcome.refused.length} refused (no funds or stock); ${seen.unanswered} sends without an answer, ` +
        `${seen.inProgress} answers IDEMPOTENCY_IN_PROGRESS retried\n`,
    );
  });
});
