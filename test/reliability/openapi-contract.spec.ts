import { randomBytes } from 'node:crypto';
import { AuditService } from '../../src/modules/audit/audit.service';
import { LifecycleState } from '../../src/modules/health/lifecycle-state';
import { HealthCheck, HealthReportService } from '../../src/modules/metrics/health-report.service';
import { idempotencyKey } from '../support/commerce';
import { TestResponse } from '../support/http';
import { fetchOpenApiDocument, OpenApiDocument, Operation, operationName, operationsOf } from '../support/openapi-document';
import { contractViolations } from '../support/response-contract';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';

/**
 * The OpenAPI document is what clients generate code from: every operation
 * is called here on its success path (and on the refusals that ordinary use
 * meets: no funds, no stock, a wrong transition, a reused key...), and every
 * answer must be declared for its operation and match the declared schema
 * exactly (required members present, no undeclared ones). The fuzz suite
 * checks the same on bad requests.
 */
describe('every answer of every operation matches the OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  const violations: string[] = [];
  const succeeded = new Set<string>();

  beforeAll(async () => {
    t = await startTestApp();
    doc = await fetchOpenApiDocument(t.http);
  });
  afterAll(() => t?.close());

  /** Sends a request of `op` ("METHOD /template") and checks its answer against the document. */
  async function call(op: string, url: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const [method, template] = op.split(' ');
    const operation = operationsOf(doc).find((o) => o.method === method && o.path === template);
    if (!operation) throw new Error(`${op} is not in the document`);
    const res = await t.http.request(method, url, { token: options.token, body: options.body, headers: options.headers });
    record(operation, res);
    return res;
  }

  function record(operation: Operation, res: TestResponse) {
    violations.push(...contractViolations(doc, operation, res));
    if (res.status < 300) succeeded.add(operationName(operation));
  }

  const expectStatus = (res: TestResponse, status: number) => expect({ status: res.status, body: res.body }).toEqual({ status, body: res.body });

  it('on the success path of every operation, and on the refusals of ordinary use', async () => {
    const platform = { token: PLATFORM_TOKEN };
    const slug = `contract-${randomBytes(4).toString('hex')}`;
    const admin = { email: `admin@${slug}.test`, password: 'correct horse battery staple' };
    const tenant = await call('POST /api/admin/tenants', '/api/admin/tenants', {
      ...platform,
      body: { slug, name: 'Contract', adminEmail: admin.email, adminPassword: admin.password },
    });
    expectStatus(tenant, 201);
    expectStatus(await call('POST /api/admin/tenants', '/api/admin/tenants', { ...platform, body: { slug, name: 'Again', adminEmail: 'a@b.test', adminPassword: admin.password } }), 409);

    const signIn = await call('POST /api/auth/login', '/api/auth/login', { body: { tenant: slug, ...admin } });
    expectStatus(signIn, 200);
    expectStatus(await call('POST /api/auth/login', '/api/auth/login', { body: { tenant: slug, email: admin.email, password: 'wrong password' } }), 401);
    const refreshed = await call('POST /api/auth/refresh', '/api/auth/refresh', { body: { refreshToken: signIn.body.refreshToken } });
    expectStatus(refreshed, 200);
    const adminToken = refreshed.body.accessToken as string;
    const me = await call('GET /api/auth/me', '/api/auth/me', { token: adminToken });
    expectStatus(me, 200);
    expectStatus(await call('GET /api/auth/me', '/api/auth/me', { token: adminToken, headers: { 'x-tenant-id': 'another-tenant' } }), 403);

    // Users: a member, and a page with a cursor.
    const memberCredentials = { email: `member@${slug}.test`, password: 'another fine password' };
    expectStatus(await call('POST /api/users', '/api/users', { token: adminToken, body: { ...memberCredentials, role: 'member' } }), 201);
    expectStatus(await call('POST /api/users', '/api/users', { token: adminToken, body: { ...memberCredentials, role: 'member' } }), 409);
    const users = await call('GET /api/users', '/api/users?limit=1', { token: adminToken });
    expectStatus(users, 200);
    expectStatus(await call('GET /api/users', `/api/users?limit=1&cursor=${encodeURIComponent(users.body.nextCursor)}`, { token: adminToken }), 200);
    const member = (await call('POST /api/auth/login', '/api/auth/login', { body: { tenant: slug, ...memberCredentials } })).body.accessToken as string;
    expectStatus(await call('GET /api/users', '/api/users', { token: member }), 403);

    // Catalog.
    const product = await call('POST /api/svm/products', '/api/svm/products', {
      token: adminToken,
      body: { sku: 'TEE-1', name: 'Tee', unitPrice: 1500, currency: 'EUR', stock: 3 },
    });
    expectStatus(product, 201);
    const cheap = (
      await call('POST /api/svm/products', '/api/svm/products', { token: adminToken, body: { sku: 'PIN-1', name: 'Pin', unitPrice: 0, currency: 'EUR', stock: 10 } })
    ).body;
    const dollars = (
      await call('POST /api/svm/products', '/api/svm/products', { token: adminToken, body: { sku: 'CAP-1', name: 'Cap', unitPrice: 900, currency: 'USD', stock: 10 } })
    ).body;
    expectStatus(await call('GET /api/svm/products', '/api/svm/products?limit=2', { token: member }), 200);
    expectStatus(await call('GET /api/svm/products/{id}', `/api/svm/products/${product.body.id}`, { token: member }), 200);
    expectStatus(await call('PATCH /api/svm/products/{id}', `/api/svm/products/${product.body.id}`, { token: adminToken, body: { name: 'Tee, red' } }), 200);
    expectStatus(await call('PATCH /api/svm/products/{id}', `/api/svm/products/${cheap.id}`, { token: adminToken, body: { sku: 'TEE-1' } }), 409);
    expectStatus(await call('POST /api/svm/products', '/api/svm/products', { token: member, body: { sku: 'X', name: 'X', unitPrice: 1, currency: 'EUR', stock: 1 } }), 403);

    // Cart, with its conditional read.
    const empty = await call('GET /api/svm/cart', '/api/svm/cart', { token: member });
    expectStatus(empty, 200);
    expectStatus(await call('GET /api/svm/cart', '/api/svm/cart', { token: member, headers: { 'if-none-match': empty.headers.etag } }), 304);
    expectStatus(await call('POST /api/svm/cart/items', '/api/svm/cart/items', { token: member, body: { productId: product.body.id, quantity: 2 } }), 201);
    expectStatus(await call('POST /api/svm/cart/items', '/api/svm/cart/items', { token: member, body: { productId: cheap.id, quantity: 1 } }), 201);
    expectStatus(await call('POST /api/svm/cart/items', '/api/svm/cart/items', { token: member, body: { productId: dollars.id, quantity: 1 } }), 422);
    expectStatus(await call('POST /api/svm/cart/items', '/api/svm/cart/items', { token: member, body: { productId: cheap.id, quantity: 1000 } }), 422);
    expectStatus(await call('PATCH /api/svm/cart/items/{productId}', `/api/svm/cart/items/${product.body.id}`, { token: member, body: { quantity: 1 } }), 200);
    expectStatus(await call('DELETE /api/svm/cart/items/{productId}', `/api/svm/cart/items/${cheap.id}`, { token: member }), 200);
    expectStatus(await call('DELETE /api/svm/cart/items/{productId}', `/api/svm/cart/items/${cheap.id}`, { token: member }), 404);

    // Wallets and the ledger.
    const wallet = await call('POST /api/wallets', '/api/wallets', { token: member, body: { currency: 'EUR', name: 'Main' } });
    expectStatus(wallet, 201);
    const adminWallet = (await call('POST /api/wallets', '/api/wallets', { token: adminToken, body: { currency: 'EUR' } })).body;
    const usdWallet = (await call('POST /api/wallets', '/api/wallets', { token: member, body: { currency: 'USD', name: null } })).body;
    const money = (path: string, body: unknown, token: string, key = idempotencyKey()) =>
      call(path.startsWith('/api/wallets/transfers') ? 'POST /api/wallets/transfers' : `POST /api/wallets/{id}/${path.split('/').pop()}`, path, {
        token,
        body,
        headers: { 'idempotency-key': key },
      });
    expectStatus(await money(`/api/wallets/${wallet.body.id}/credit`, { amount: 10_000, reference: 'top-up' }, adminToken), 201);
    expectStatus(await money(`/api/wallets/${wallet.body.id}/debit`, { amount: 1_000 }, adminToken), 201);
    expectStatus(await money(`/api/wallets/${wallet.body.id}/debit`, { amount: 1_000_000 }, adminToken), 422);
    expectStatus(await money(`/api/wallets/${wallet.body.id}/credit`, { amount: 5 }, member), 403);
    const transferKey = idempotencyKey();
    const transfer = { fromWalletId: wallet.body.id, toWalletId: adminWallet.id, amount: 500 };
    expectStatus(await money('/api/wallets/transfers', transfer, member, transferKey), 201);
    const replay = await money('/api/wallets/transfers', transfer, member, transferKey);
    expectStatus(replay, 201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expectStatus(await money('/api/wallets/transfers', { ...transfer, amount: 501 }, member, transferKey), 422);
    expectStatus(await money('/api/wallets/transfers', { ...transfer, toWalletId: usdWallet.id }, member), 422);
    expectStatus(await call('POST /api/wallets/transfers', '/api/wallets/transfers', { token: member, body: transfer }), 400);
    expectStatus(await call('GET /api/wallets', '/api/wallets?limit=1', { token: member }), 200);
    expectStatus(await call('GET /api/wallets', `/api/wallets?userId=${me.body.userId}`, { token: adminToken }), 200);
    expectStatus(await call('GET /api/wallets', `/api/wallets?userId=${me.body.userId}`, { token: member }), 403);
    expectStatus(await call('GET /api/wallets/{id}', `/api/wallets/${wallet.body.id}`, { token: member }), 200);
    expectStatus(await call('GET /api/wallets/{id}/transactions', `/api/wallets/${wallet.body.id}/transactions?limit=2`, { token: member }), 200);

    // Orders: a checkout, its reads, its status machine, a cancel.
    const order = await call('POST /api/svm/orders', '/api/svm/orders', { token: member, body: { walletId: wallet.body.id }, headers: { 'idempotency-key': idempotencyKey() } });
    expectStatus(order, 201);
    expectStatus(await call('POST /api/svm/orders', '/api/svm/orders', { token: member, body: { walletId: wallet.body.id }, headers: { 'idempotency-key': idempotencyKey() } }), 422);
    expectStatus(await call('POST /api/svm/cart/items', '/api/svm/cart/items', { token: member, body: { productId: product.body.id, quantity: 3 } }), 201);
    expectStatus(await call('POST /api/svm/orders', '/api/svm/orders', { token: member, body: { walletId: wallet.body.id }, headers: { 'idempotency-key': idempotencyKey() } }), 409);
    expectStatus(await call('DELETE /api/svm/cart', '/api/svm/cart', { token: member }), 204);
    const orders = await call('GET /api/svm/orders', '/api/svm/orders?status=PAID&limit=5', { token: member });
    expectStatus(orders, 200);
    const read = await call('GET /api/svm/orders/{id}', `/api/svm/orders/${order.body.id}`, { token: member });
    expectStatus(read, 200);
    expectStatus(await call('GET /api/svm/orders/{id}', `/api/svm/orders/${order.body.id}`, { token: member, headers: { 'if-none-match': read.headers.etag } }), 304);
    expectStatus(await call('PATCH /api/svm/orders/{id}/status', `/api/svm/orders/${order.body.id}/status`, { token: adminToken, body: { status: 'DELIVERED' } }), 409);
    expectStatus(await call('POST /api/svm/cart/items', '/api/svm/cart/items', { token: member, body: { productId: product.body.id, quantity: 1 } }), 201);
    const second = await call('POST /api/svm/orders', '/api/svm/orders', { token: member, body: { walletId: wallet.body.id }, headers: { 'idempotency-key': idempotencyKey() } });
    expectStatus(second, 201);
    expectStatus(await call('POST /api/svm/orders/{id}/cancel', `/api/svm/orders/${second.body.id}/cancel`, { token: member, headers: { 'idempotency-key': idempotencyKey() } }), 200);
    expectStatus(await call('POST /api/svm/orders/{id}/cancel', `/api/svm/orders/${second.body.id}/cancel`, { token: member, headers: { 'idempotency-key': idempotencyKey() } }), 409);
    expectStatus(await call('PATCH /api/svm/orders/{id}/status', `/api/svm/orders/${order.body.id}/status`, { token: adminToken, body: { status: 'FULFILLED' } }), 200);

    expectStatus(await call('GET /api/ledger/summary', '/api/ledger/summary', { token: adminToken }), 200);

    // Audit, once the buffered events are written.
    await t.app.get(AuditService).flush();
    expectStatus(await call('GET /api/audit-logs', '/api/audit-logs?limit=50', { token: adminToken }), 200);
    expectStatus(await call('GET /api/audit-logs', '/api/audit-logs?type=WALLET_TRANSFER&severity=INFO', { token: adminToken }), 200);
    expectStatus(await call('GET /api/audit-logs/verify', '/api/audit-logs/verify', { token: adminToken }), 200);
    expectStatus(await call('GET /api/admin/audit-logs', '/api/admin/audit-logs?tenantId=none', platform), 200);
    expectStatus(await call('GET /api/admin/audit-logs', `/api/admin/audit-logs?tenantId=${tenant.body.id}&limit=100`, platform), 200);

    // Probes and metrics.
    for (const path of ['/api/health', '/api/health/live', '/api/health/startup', '/api/health/ready']) {
      expectStatus(await call(`GET ${path}`, path), 200);
    }
    expectStatus(await call('GET /api/metrics', '/api/metrics'), 200);
    expectStatus(await call('GET /api/metrics', '/api/metrics?detailed=true', platform), 200);
    expectStatus(await call('GET /api/metrics', '/api/metrics?detailed=true'), 401);
    expect((await call('GET /metrics', '/metrics')).status).toBe(200);

    // The probes' and the metrics' 503s: draining after SIGTERM, and a database that does not answer.
    const lifecycle = t.app.get(LifecycleState);
    lifecycle.draining = true;
    try {
      expectStatus(await call('GET /api/health/ready', '/api/health/ready'), 503);
    } finally {
      lifecycle.draining = false;
    }
    const reports = t.app.get(HealthReportService);
    const down = { status: 'unhealthy', latency: 2000.5, message: 'the database did not answer within 2000 ms' };
    const unhealthy = jest.spyOn(reports, 'summary').mockImplementation(async () => ({
      status: 'unhealthy' as const,
      timestamp: new Date().toISOString(),
      uptime: 1,
      checks: [{ name: 'database', ...down } as HealthCheck],
    }));
    try {
      expectStatus(await call('GET /api/metrics', '/api/metrics'), 503);
      expectStatus(await call('GET /api/metrics', '/api/metrics?detailed=true', platform), 503);
    } finally {
      unhealthy.mockRestore();
    }

    expectStatus(await call('POST /api/auth/logout', '/api/auth/logout', { token: member }), 204);
    expectStatus(await call('GET /api/auth/me', '/api/auth/me', { token: member }), 401);

    expect(violations).toEqual([]);
    const missed = operationsOf(doc)
      .map(operationName)
      .filter((name) => !succeeded.has(name));
    expect(missed).toEqual([]);
  });
});
