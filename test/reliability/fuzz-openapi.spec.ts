import { randomBytes } from 'node:crypto';
import { AuditService } from '../../src/modules/audit/audit.service';
import { addToCart, checkout, createFundedWallet } from '../support/commerce';
import { queryAsOwner } from '../support/db';
import { snapshotDatabase, snapshotDifferences } from '../support/db-snapshot';
import { createProduct, createTenant, createUser, login, TestTenant } from '../support/factories';
import { TestResponse } from '../support/http';
import { fetchOpenApiDocument, OpenApiDocument, operationName, operationsOf } from '../support/openapi-document';
import { countFromEnv, Rng, seedFromEnv } from '../support/prng';
import { FuzzRequest, FuzzTarget, generateBadRequest } from '../support/request-fuzzer';
import { contractViolations } from '../support/response-contract';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';

/**
 * Schema-driven fuzzing: every operation of the OpenAPI document gets
 * FUZZ_COUNT generated bad requests (FUZZ_SEED replays a run). Whatever is
 * sent, no answer is a 5xx, every answer keeps the document's contract,
 * every error is a problem document with one of API.md's codes, and
 * Object.prototype stays clean.
 *
 * "Nothing changed by a rejected request", cheaply and soundly: every
 * request to an operation that can be given a defect carries one that makes
 * it invalid whatever else it holds, so every such request must be refused;
 * the only requests that may succeed are GETs without parameters (health),
 * which write nothing. The database is then snapshotted (row counts and a
 * checksum of every table, read as the owner) around each operation's batch
 * instead of around each request. The only traces a refusal may leave are
 * its own records: audit events of outcome `failure`, and the recorded
 * error answer of an idempotency key (API.md: an error after validation is
 * what the key replays); those two tables are checked for exactly that.
 */
const BODY_LIMIT = 64 * 1024;
const IN_FLIGHT = 4;
const TRACE_TABLES = ['audit_logs', 'audit_chain_heads', 'idempotency_keys'];
const JWT_SECRET = 'test-jwt-secret-0123456789-0123456789-abcdef';

const seed = seedFromEnv('FUZZ_SEED');
const perOperation = countFromEnv('FUZZ_COUNT', 100);

interface Failure {
  operation: string;
  index: number;
  problem: string;
  request?: string;
  response?: string;
}

const describeRequest = (r: FuzzRequest) =>
  `${r.method} ${r.url.slice(0, 200)} [${r.defect}] headers=${JSON.stringify(r.headers).slice(0, 300)} body=${(r.body ?? '').slice(0, 200)}`;
const describeResponse = (res: TestResponse) => `${res.status} ${res.headers['content-type'] ?? ''} ${res.text.slice(0, 300)}`;

/** Own property names of the shared prototypes, to notice pollution. */
const prototypeShape = () =>
  JSON.stringify([Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) => Object.getOwnPropertyNames(p).sort()));

async function traceCounts(t: TestApp) {
  const [row] = await queryAsOwner<{ audit_not_failure: number; keys_not_refusal: number; keys: number }>(
    t,
    `SELECT (SELECT count(*)::int FROM audit_logs WHERE outcome IS DISTINCT FROM 'failure') AS audit_not_failure,
            (SELECT count(*)::int FROM idempotency_keys WHERE state <> 'completed' OR status < 400) AS keys_not_refusal,
            (SELECT count(*)::int FROM idempotency_keys) AS keys`,
  );
  return row;
}

describe('fuzzing every operation of the OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let target: FuzzTarget;

  beforeAll(async () => {
    // Audit events are flushed by the test, so that the snapshots see them all.
    t = await startTestApp({ BODY_LIMIT_BYTES: String(BODY_LIMIT), AUDIT_FLUSH_INTERVAL_MS: '3600000', AUDIT_BATCH_SIZE: '10000' });
    doc = await fetchOpenApiDocument(t.http);
    target = await buildTarget(t);
  });
  afterAll(() => t?.close());

  it(`refuses every bad request with a documented problem, no 5xx, no pollution and no change (FUZZ_SEED=${seed})`, async () => {
    process.stdout.write(`fuzz-openapi: FUZZ_SEED=${seed} FUZZ_COUNT=${perOperation}\n`);
    const audit = t.app.get(AuditService);
    const failures: Failure[] = [];
    const statuses = new Map<string, Map<number, number>>();
    const operations = operationsOf(doc);
    const cleanPrototypes = prototypeShape();
    expect(operations.length).toBeGreaterThan(30);

    for (const op of operations) {
      const name = operationName(op);
      const rng = new Rng(seed).fork(name);
      const requests = Array.from({ length: perOperation }, () => generateBadRequest(doc, op, target, rng));
      await audit.flush();
      const before = await snapshotDatabase(t, TRACE_TABLES);
      const tracesBefore = await traceCounts(t);

      const counts = new Map<number, number>();
      statuses.set(name, counts);
      await runPool(requests, IN_FLIGHT, async (request, index) => {
        const fail = (problem: string, res?: TestResponse) =>
          failures.push({ operation: name, index, problem, request: describeRequest(request), response: res && describeResponse(res) });
        let res: TestResponse;
        try {
          res = await t.http.request(request.method, request.url, { headers: request.headers, rawBody: request.body });
        } catch (error) {
          return fail(`no answer: ${String((error as Error & { cause?: Error }).cause ?? error)}`);
        }
        counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
        if (res.status >= 500) fail('answered 5xx', res);
        if (request.mustBeRefused && res.status < 400) fail('a request that must be refused was accepted', res);
        for (const violation of contractViolations(doc, op, res)) fail(violation, res);
      });

      if (prototypeShape() !== cleanPrototypes || ({} as Record<string, unknown>).polluted !== undefined) {
        failures.push({ operation: name, index: -1, problem: 'a shared prototype was changed' });
      }
      await audit.flush();
      for (const difference of snapshotDifferences(before, await snapshotDatabase(t, TRACE_TABLES))) {
        failures.push({ operation: name, index: -1, problem: `the database changed: ${difference}` });
      }
      const tracesAfter = await traceCounts(t);
      if (tracesAfter.audit_not_failure !== tracesBefore.audit_not_failure) {
        failures.push({ operation: name, index: -1, problem: 'refused requests left audit events that are not failures' });
      }
      if (tracesAfter.keys_not_refusal !== tracesBefore.keys_not_refusal) {
        failures.push({ operation: name, index: -1, problem: 'refused requests left idempotency keys pending or with a success' });
      }
    }

    process.stdout.write(
      `fuzz-openapi: ${operations.length} operations × ${perOperation} requests; answers by status: ${JSON.stringify(totals(statuses))}\n`,
    );
    expect({ seed, failures: grouped(failures) }).toEqual({ seed, failures: [] });

    // The hash chains of the events the refusals left still verify.
    const verified = await t.http.get('/api/audit-logs/verify', { token: target.bearerTokens[0] });
    expect(verified.status).toBe(200);
    expect(verified.body.valid).toBe(true);
  });
});

/** One line per operation and problem, with how often it happened and a first example. */
function grouped(failures: Failure[]): string[] {
  const groups = new Map<string, { count: number; example: Failure }>();
  for (const failure of failures) {
    const key = `${failure.operation} | ${failure.problem}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { count: 1, example: failure });
  }
  return [...groups.entries()]
    .slice(0, 60)
    .map(([key, { count, example }]) => `${key} (×${count}; e.g. #${example.index}: ${example.request ?? ''} → ${example.response ?? ''})`);
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function runPool<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

function totals(statuses: Map<string, Map<number, number>>): Record<number, number> {
  const all: Record<number, number> = {};
  for (const counts of statuses.values()) for (const [status, n] of counts) all[status] = (all[status] ?? 0) + n;
  return all;
}

/**
 * Two tenants with users, a product, funded wallets, a paid order and a
 * cart line each: real ids for the paths (the tenant under test's) and ids
 * that must stay invisible (the other's).
 */
async function buildTarget(t: TestApp): Promise<FuzzTarget> {
  const own = await createTenant(t.http);
  const other = await createTenant(t.http);
  const member = await createUser(t.http, own, 'member');
  const ownData = await commerceOf(t, own, member);
  const otherMember = await createUser(t.http, other, 'member');
  const otherData = await commerceOf(t, other, otherMember);
  // Every user under test has a cart already: reading it must write nothing.
  for (const token of [own.admin.token, member.token]) expect((await t.http.get('/api/svm/cart', { token })).status).toBe(200);

  const revoked = await login(t.http, own.slug, own.admin.email, own.admin.password);
  expect((await t.http.post('/api/auth/logout', undefined, { token: revoked.accessToken })).status).toBe(204);

  const password = () => `pw-${randomBytes(6).toString('hex')}`;
  return {
    bearerTokens: [own.admin.token, member.token],
    revokedToken: revoked.accessToken,
    platformToken: PLATFORM_TOKEN,
    jwtSecret: JWT_SECRET,
    ownTenant: { id: own.id, slug: own.slug },
    otherTenant: { id: other.id, slug: other.slug },
    ownIds: { products: ownData.productId, wallets: ownData.walletId, orders: ownData.orderId, items: ownData.productId },
    foreignIds: [otherData.productId, otherData.walletId, otherData.orderId, other.admin.id],
    bodyLimit: BODY_LIMIT,
    // Each refused whatever the members not kept hold: no credentials match, the key member names a
    // taken value, an invisible resource, more money than any wallet holds, or a forbidden transition.
    refusedBodies: {
      'POST /api/auth/login': {
        keep: [],
        body: (rng) =>
          rng.pick([
            { tenant: own.slug, email: own.admin.email, password: password() },
            { tenant: other.slug, email: own.admin.email, password: own.admin.password },
            { tenant: rng.uuid(), email: member.email, password: member.password },
            { tenant: `no-such-${rng.int(1, 1e6)}`, email: 'nobody@example.com', password: password() },
            { tenant: own.id, email: `x${member.email}`, password: member.password },
          ]),
      },
      'POST /api/auth/refresh': { keep: [], body: (rng) => ({ refreshToken: `rt1.${rng.pick([own.id, other.id])}.${randomBytes(32).toString('base64url')}` }) },
      'POST /api/admin/tenants': { keep: ['slug'], body: () => ({ slug: own.slug, name: 'Taken', adminEmail: 'someone@example.com', adminPassword: password() }) },
      'POST /api/users': { keep: ['email'], body: () => ({ email: member.email, password: password(), role: 'member' }) },
      'POST /api/svm/products': {
        keep: ['sku'],
        body: () => ({ sku: ownData.sku, name: 'Same sku', unitPrice: 100, currency: 'EUR', stock: 1 }),
      },
      'PATCH /api/svm/products/{id}': { keep: ['sku'], body: () => ({ sku: ownData.secondSku, name: 'Taken sku' }) },
      'POST /api/svm/cart/items': { keep: ['productId'], body: () => ({ productId: otherData.productId, quantity: 1 }) },
      'POST /api/wallets/transfers': {
        keep: ['amount'],
        body: () => ({ fromWalletId: ownData.walletId, toWalletId: ownData.adminWalletId, amount: Number.MAX_SAFE_INTEGER, reference: 'too much' }),
      },
      'POST /api/wallets/{id}/debit': { keep: ['amount'], body: () => ({ amount: Number.MAX_SAFE_INTEGER, reference: 'too much' }) },
      'POST /api/svm/orders': { keep: ['walletId'], body: () => ({ walletId: otherData.walletId }) },
      'PATCH /api/svm/orders/{id}/status': { keep: ['status'], body: () => ({ status: 'DELIVERED' }) },
    },
  };
}

async function commerceOf(t: TestApp, tenant: TestTenant, member: Awaited<ReturnType<typeof createUser>>) {
  const product = await createProduct(t.http, tenant, { stock: 1000, unitPrice: 250 });
  const second = await createProduct(t.http, tenant);
  const adminWalletId = await createFundedWallet(t, tenant, tenant.admin, 'EUR', 100_000);
  const walletId = await createFundedWallet(t, tenant, member, 'EUR', 100_000);
  await addToCart(t.http, member, product.id, 2);
  const order = await checkout(t.http, member, walletId);
  expect(order.status).toBe(201);
  await addToCart(t.http, member, product.id, 1);
  return { productId: product.id, sku: product.sku, secondSku: second.sku, walletId, adminWalletId, orderId: order.body.id as string };
}
