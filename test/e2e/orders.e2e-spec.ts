import { randomUUID } from 'node:crypto';
import { AuditService } from '../../src/modules/audit/audit.service';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';
import { createProduct, createTenant, createUser, TestProduct, TestTenant, TestUser } from '../support/factories';
import { addToCart, checkout, createFundedWallet, idempotencyKey } from '../support/commerce';
import { balanceOf } from '../support/wallets';

describe('orders', () => {
  let t: TestApp;
  let shop: TestTenant;
  let other: TestTenant;
  let buyer: TestUser;
  let wallet: string;
  let mug: TestProduct;
  let pen: TestProduct;

  const product = async (id: string) => (await t.http.get(`/api/svm/products/${id}`, { token: shop.admin.token })).body;
  const cartOf = async (user: TestUser) => (await t.http.get('/api/svm/cart', { token: user.token })).body;
  const cancel = (user: TestUser, id: string, key = idempotencyKey()) =>
    t.http.post(`/api/svm/orders/${id}/cancel`, undefined, { token: user.token, headers: { 'idempotency-key': key } });
  const setStatus = (user: TestUser, id: string, status: string) => t.http.patch(`/api/svm/orders/${id}/status`, { status }, { token: user.token });

  beforeAll(async () => {
    t = await startTestApp();
    shop = await createTenant(t.http);
    other = await createTenant(t.http);
    buyer = await createUser(t.http, shop);
    wallet = await createFundedWallet(t, shop, buyer, 'EUR', 100_000);
    mug = await createProduct(t.http, shop, { unitPrice: 1250, stock: 50, name: 'Mug' });
    pen = await createProduct(t.http, shop, { unitPrice: 199, stock: 50, name: 'Pen' });
  });
  afterAll(() => t.close());

  it('checks out: order PAID with a price snapshot, stock taken, wallet debited, revenue credited, cart emptied', async () => {
    await addToCart(t.http, buyer, mug.id, 2);
    await addToCart(t.http, buyer, pen.id, 3);
    const before = await balanceOf(t, buyer.token, wallet);
    const res = await checkout(t.http, buyer, wallet);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      userId: buyer.id,
      status: 'PAID',
      currency: 'EUR',
      total: 2 * 1250 + 3 * 199,
      walletId: wallet,
      items: [
        { productId: mug.id, sku: mug.sku, name: 'Mug', unitPrice: 1250, quantity: 2, lineTotal: 2500 },
        { productId: pen.id, sku: pen.sku, name: 'Pen', unitPrice: 199, quantity: 3, lineTotal: 597 },
      ],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await balanceOf(t, buyer.token, wallet)).toBe(before - 3097);
    expect((await product(mug.id)).stock).toBe(48);
    expect((await cartOf(buyer)).items).toEqual([]);
    const summary = await t.http.get('/api/ledger/summary', { token: shop.admin.token });
    expect(summary.body.consistent).toBe(true);
    expect(summary.body.currencies.find((c: { currency: string }) => c.currency === 'EUR').revenue).toBe(3097);
    // The price is a snapshot: a later price change does not touch the order.
    await t.http.patch(`/api/svm/products/${mug.id}`, { unitPrice: 9999 }, { token: shop.admin.token });
    expect((await t.http.get(`/api/svm/orders/${res.body.id}`, { token: buyer.token })).body.items[0].unitPrice).toBe(1250);
    await t.http.patch(`/api/svm/products/${mug.id}`, { unitPrice: 1250 }, { token: shop.admin.token });
  });

  it('writes ORDER_CREATE in the tenant’s audit log', async () => {
    await addToCart(t.http, buyer, pen.id, 1);
    const res = await checkout(t.http, buyer, wallet);
    await t.app.get(AuditService).flush();
    const events = await t.http.get(`/api/admin/audit-logs?tenantId=${shop.id}&type=ORDER_CREATE&limit=100`, { token: PLATFORM_TOKEN });
    expect(events.body.data.find((e: { resourceId: string }) => e.resourceId === res.body.id)).toMatchObject({ userId: buyer.id, resourceType: 'order', outcome: 'success' });
  });

  it('refuses an empty cart with 422 CART_EMPTY', async () => {
    const user = await createUser(t.http, shop);
    const own = await createFundedWallet(t, shop, user, 'EUR', 1000);
    const res = await checkout(t.http, user, own);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('CART_EMPTY');
  });

  it('refuses insufficient funds with 422, leaving stock, cart and wallet untouched', async () => {
    const user = await createUser(t.http, shop);
    const poor = await createFundedWallet(t, shop, user, 'EUR', 100);
    await addToCart(t.http, user, mug.id, 1);
    const stock = (await product(mug.id)).stock;
    const res = await checkout(t.http, user, poor);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('INSUFFICIENT_FUNDS');
    expect((await product(mug.id)).stock).toBe(stock);
    expect((await cartOf(user)).items).toHaveLength(1);
    expect(await balanceOf(t, user.token, poor)).toBe(100);
  });

  it('refuses more than the stock with 409 OUT_OF_STOCK, changing nothing', async () => {
    const scarce = await createProduct(t.http, shop, { stock: 2, unitPrice: 10 });
    const user = await createUser(t.http, shop);
    const own = await createFundedWallet(t, shop, user, 'EUR', 1000);
    await addToCart(t.http, user, scarce.id, 3);
    const res = await checkout(t.http, user, own);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('OUT_OF_STOCK');
    expect((await product(scarce.id)).stock).toBe(2);
    expect(await balanceOf(t, user.token, own)).toBe(1000);
  });

  it('pays only from the caller’s own wallet of the cart’s currency', async () => {
    const user = await createUser(t.http, shop);
    await addToCart(t.http, user, pen.id, 1);
    const dollars = await createFundedWallet(t, shop, user, 'USD', 1000);
    const mismatch = await checkout(t.http, user, dollars);
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.code).toBe('CURRENCY_MISMATCH');
    const someoneElses = await checkout(t.http, user, wallet);
    expect(someoneElses.status).toBe(404);
    const foreignTenant = await createFundedWallet(t, other, other.admin, 'EUR', 1000);
    expect((await checkout(t.http, user, foreignTenant)).status).toBe(404);
    expect((await checkout(t.http, user, randomUUID())).status).toBe(404);
    expect((await cartOf(user)).items).toHaveLength(1);
  });

  it('requires an Idempotency-Key, and replays a repeated checkout without paying twice', async () => {
    const user = await createUser(t.http, shop);
    const own = await createFundedWallet(t, shop, user, 'EUR', 10_000);
    await addToCart(t.http, user, pen.id, 2);
    const missing = await t.http.post('/api/svm/orders', { walletId: own }, { token: user.token });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    const key = idempotencyKey();
    const [first, ...concurrent] = await Promise.all([checkout(t.http, user, own, key), checkout(t.http, user, own, key), checkout(t.http, user, own, key)]);
    const repeat = await checkout(t.http, user, own, key);
    const all = [first, ...concurrent, repeat];
    const created = all.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(2);
    expect(new Set(created.map((r) => r.text)).size).toBe(1);
    expect(all.every((r) => r.status === 201 || r.body.code === 'IDEMPOTENCY_IN_PROGRESS')).toBe(true);
    expect(repeat.status).toBe(201);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(await balanceOf(t, user.token, own)).toBe(10_000 - 398);
    const orders = await t.http.get('/api/svm/orders', { token: user.token });
    expect(orders.body.data).toHaveLength(1);
  });

  it('cancels a PAID order once: refund, stock restored, ledger consistent; a second cancel is a replay or 409', async () => {
    const user = await createUser(t.http, shop);
    const own = await createFundedWallet(t, shop, user, 'EUR', 10_000);
    await addToCart(t.http, user, mug.id, 4);
    const stock = (await product(mug.id)).stock;
    const order = (await checkout(t.http, user, own)).body;
    expect((await product(mug.id)).stock).toBe(stock - 4);
    const key = idempotencyKey();
    const cancelled = await cancel(user, order.id, key);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: order.id, status: 'CANCELLED', total: 5000 });
    expect(await balanceOf(t, user.token, own)).toBe(10_000);
    expect((await product(mug.id)).stock).toBe(stock);
    const replay = await cancel(user, order.id, key);
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.text).toBe(cancelled.text);
    const again = await cancel(user, order.id);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('INVALID_TRANSITION');
    expect(await balanceOf(t, user.token, own)).toBe(10_000);
    expect((await product(mug.id)).stock).toBe(stock);
    expect((await t.http.get('/api/ledger/summary', { token: shop.admin.token })).body.consistent).toBe(true);
  });

  it('cancel takes no body: one with fields is 400 and cancels nothing; an empty JSON body is fine', async () => {
    const user = await createUser(t.http, shop);
    const own = await createFundedWallet(t, shop, user, 'EUR', 10_000);
    await addToCart(t.http, user, mug.id, 1);
    const order = (await checkout(t.http, user, own)).body;
    const headers = { 'idempotency-key': idempotencyKey() };
    const withField = await t.http.post(`/api/svm/orders/${order.id}/cancel`, { reason: 'changed my mind' }, { token: user.token, headers });
    expect(withField.status).toBe(400);
    expect(withField.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'reason', message: 'should not exist' }] });
    expect((await t.http.get(`/api/svm/orders/${order.id}`, { token: user.token })).body.status).toBe('PAID');
    // The validation failure was not recorded: the same key cancels.
    const empty = await t.http.request('POST', `/api/svm/orders/${order.id}/cancel`, { rawBody: '', contentType: 'application/json', token: user.token, headers });
    expect(empty.status).toBe(200);
    expect(empty.body.status).toBe('CANCELLED');
    // `{}` is the same (empty) body: a retry that sends it replays.
    const retry = await t.http.post(`/api/svm/orders/${order.id}/cancel`, {}, { token: user.token, headers });
    expect([retry.status, retry.headers['idempotent-replayed']]).toEqual([200, 'true']);
  });

  it('moves PAID → FULFILLED → DELIVERED for admins only, and refuses every other move', async () => {
    await addToCart(t.http, buyer, pen.id, 1);
    const order = (await checkout(t.http, buyer, wallet)).body;
    expect((await setStatus(buyer, order.id, 'FULFILLED')).status).toBe(403);
    for (const status of ['DELIVERED', 'PAID', 'CANCELLED']) {
      const res = await setStatus(shop.admin, order.id, status);
      expect([status, res.status, res.body.code]).toEqual([status, 409, 'INVALID_TRANSITION']);
    }
    expect((await setStatus(shop.admin, order.id, 'SHIPPED')).status).toBe(400);
    const fulfilled = await setStatus(shop.admin, order.id, 'FULFILLED');
    expect(fulfilled.status).toBe(200);
    expect(fulfilled.body.status).toBe('FULFILLED');
    expect((await cancel(buyer, order.id)).body.code).toBe('INVALID_TRANSITION');
    expect((await setStatus(shop.admin, order.id, 'DELIVERED')).body.status).toBe('DELIVERED');
    expect((await setStatus(shop.admin, order.id, 'FULFILLED')).status).toBe(409);
    await t.app.get(AuditService).flush();
    const events = await t.http.get(`/api/audit-logs?type=ORDER_STATUS_CHANGE&limit=100`, { token: shop.admin.token });
    const ofOrder = events.body.data.filter((e: { resourceId: string }) => e.resourceId === order.id);
    const moves = ofOrder.filter((e: { outcome: string }) => e.outcome === 'success').map((e: any) => `${e.metadata.from}>${e.metadata.to}`);
    expect(moves.sort()).toEqual(['FULFILLED>DELIVERED', 'PAID>FULFILLED']);
    // Refused moves are audited as failed attempts; the member's 403 and the 400 never reached the route.
    const refused = ofOrder.filter((e: { outcome: string }) => e.outcome === 'failure');
    expect(refused.map((e: any) => e.metadata.code)).toEqual(Array(4).fill('INVALID_TRANSITION'));
  });

  it('shows members their own orders only, admins all; other users’ and tenants’ orders are 404', async () => {
    const alice = await createUser(t.http, shop);
    const aliceWallet = await createFundedWallet(t, shop, alice, 'EUR', 1000);
    await addToCart(t.http, alice, pen.id, 1);
    const order = (await checkout(t.http, alice, aliceWallet)).body;
    expect((await t.http.get(`/api/svm/orders/${order.id}`, { token: buyer.token })).status).toBe(404);
    expect((await cancel(buyer, order.id)).status).toBe(404);
    expect((await t.http.get(`/api/svm/orders/${order.id}`, { token: shop.admin.token })).status).toBe(200);
    expect((await t.http.get(`/api/svm/orders/${order.id}`, { token: other.admin.token })).status).toBe(404);
    expect((await setStatus(other.admin, order.id, 'FULFILLED')).status).toBe(404);
    const mine = await t.http.get('/api/svm/orders?limit=100', { token: buyer.token });
    expect(mine.body.data.every((o: { userId: string }) => o.userId === buyer.id)).toBe(true);
    const all = await t.http.get('/api/svm/orders?limit=100', { token: shop.admin.token });
    expect(all.body.data.some((o: { id: string }) => o.id === order.id)).toBe(true);
  });

  it('filters by status and refuses an unknown one', async () => {
    const paid = await t.http.get('/api/svm/orders?status=PAID&limit=100', { token: shop.admin.token });
    expect(paid.body.data.length).toBeGreaterThan(0);
    expect(paid.body.data.every((o: { status: string }) => o.status === 'PAID')).toBe(true);
    expect((await t.http.get('/api/svm/orders?status=LOST', { token: shop.admin.token })).status).toBe(400);
  });

  it('answers single orders with an ETag and 304 when unchanged', async () => {
    await addToCart(t.http, buyer, pen.id, 1);
    const order = (await checkout(t.http, buyer, wallet)).body;
    const first = await t.http.get(`/api/svm/orders/${order.id}`, { token: buyer.token });
    const cached = await t.http.get(`/api/svm/orders/${order.id}`, { token: buyer.token, headers: { 'if-none-match': first.headers.etag } });
    expect(cached.status).toBe(304);
    await setStatus(shop.admin, order.id, 'FULFILLED');
    expect((await t.http.get(`/api/svm/orders/${order.id}`, { token: buyer.token, headers: { 'if-none-match': first.headers.etag } })).status).toBe(200);
    // Only the routes that opt in are conditional: the list is not.
    const list = await t.http.get('/api/svm/orders', { token: buyer.token, headers: { 'if-none-match': first.headers.etag } });
    expect([list.status, list.headers.etag]).toEqual([200, undefined]);
  });
});
