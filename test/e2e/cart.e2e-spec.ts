import { randomUUID } from 'node:crypto';
import { startTestApp, TestApp } from '../support/test-app';
import { createProduct, createTenant, createUser, TestProduct, TestTenant, TestUser } from '../support/factories';

describe('cart', () => {
  let t: TestApp;
  let shop: TestTenant;
  let other: TestTenant;
  let buyer: TestUser;
  let mug: TestProduct;
  let pen: TestProduct;
  let dollarHat: TestProduct;

  const cart = (user: TestUser) => t.http.get('/api/svm/cart', { token: user.token });
  const add = (user: TestUser, productId: string, quantity: number) => t.http.post('/api/svm/cart/items', { productId, quantity }, { token: user.token });

  beforeAll(async () => {
    t = await startTestApp();
    shop = await createTenant(t.http);
    other = await createTenant(t.http);
    buyer = await createUser(t.http, shop);
    mug = await createProduct(t.http, shop, { unitPrice: 1250, currency: 'EUR', name: 'Mug' });
    pen = await createProduct(t.http, shop, { unitPrice: 199, currency: 'EUR', name: 'Pen' });
    dollarHat = await createProduct(t.http, shop, { unitPrice: 500, currency: 'USD', name: 'Hat' });
  });
  afterAll(() => t.close());

  it('starts empty', async () => {
    const res = await cart(await createUser(t.http, shop));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: expect.any(String), currency: null, items: [], itemCount: 0, total: 0, updatedAt: expect.any(String) });
  });

  it('adds lines, adds to an existing line, and prices from the catalog', async () => {
    const user = await createUser(t.http, shop);
    const first = await add(user, mug.id, 2);
    expect(first.status).toBe(201);
    const again = await add(user, mug.id, 3);
    const withPen = await add(user, pen.id, 1);
    expect(again.body.items).toEqual([{ productId: mug.id, sku: mug.sku, name: 'Mug', unitPrice: 1250, quantity: 5, lineTotal: 6250 }]);
    expect(withPen.body).toMatchObject({ currency: 'EUR', itemCount: 6, total: 6250 + 199 });
    expect((await cart(user)).body).toEqual(withPen.body);
  });

  it('ignores a price sent by the client', async () => {
    const res = await t.http.post('/api/svm/cart/items', { productId: mug.id, quantity: 1, unitPrice: 1 }, { token: buyer.token });
    expect(res.status).toBe(400);
  });

  it('refuses another currency with 422 CURRENCY_MISMATCH and changes nothing', async () => {
    const user = await createUser(t.http, shop);
    await add(user, mug.id, 1);
    const before = (await cart(user)).body;
    const res = await add(user, dollarHat.id, 1);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('CURRENCY_MISMATCH');
    expect((await cart(user)).body).toEqual(before);
  });

  it('shows the currency its lines are priced in, also after a product’s currency changed', async () => {
    const user = await createUser(t.http, shop);
    const scarf = await createProduct(t.http, shop, { unitPrice: 300, currency: 'EUR', name: 'Scarf' });
    await add(user, scarf.id, 1);
    const repriced = await t.http.patch(`/api/svm/products/${scarf.id}`, { currency: 'USD' }, { token: shop.admin.token });
    expect(repriced.status).toBe(200);
    expect((await cart(user)).body).toMatchObject({ currency: 'USD', total: 300 });
    const euro = await add(user, mug.id, 1);
    expect(euro.status).toBe(422);
    expect(euro.body.code).toBe('CURRENCY_MISMATCH');
    expect((await add(user, dollarHat.id, 1)).body).toMatchObject({ currency: 'USD', total: 800 });
  });

  it('enforces 1000 units a line and 100 lines a cart with 422 CART_LIMIT_EXCEEDED', async () => {
    const user = await createUser(t.http, shop);
    expect((await add(user, pen.id, 1000)).status).toBe(201);
    const over = await add(user, pen.id, 1);
    expect(over.status).toBe(422);
    expect(over.body.code).toBe('CART_LIMIT_EXCEEDED');
    const tenant = await createTenant(t.http);
    const shopper = await createUser(t.http, tenant);
    const products = [];
    for (let i = 0; i < 101; i++) products.push(await createProduct(t.http, tenant, { unitPrice: 1 }));
    for (const product of products.slice(0, 100)) expect((await add(shopper, product.id, 1)).status).toBe(201);
    const lineOver = await add(shopper, products[100].id, 1);
    expect(lineOver.status).toBe(422);
    expect(lineOver.body.code).toBe('CART_LIMIT_EXCEEDED');
    expect((await cart(shopper)).body.items).toHaveLength(100);
  });

  it.each([0, 1001, -1, 1.5, '2', null])('refuses quantity %j with 400', async (quantity) => {
    const res = await t.http.post('/api/svm/cart/items', { productId: mug.id, quantity }, { token: buyer.token });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  it('answers 400 for a malformed product id in the body and 404 for an unknown or foreign one', async () => {
    expect((await add(buyer, 'not-a-uuid', 1)).status).toBe(400);
    expect((await add(buyer, randomUUID(), 1)).status).toBe(404);
    const foreign = await createProduct(t.http, other);
    const res = await add(buyer, foreign.id, 1);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });

  it('PATCH sets a quantity, 0 removes the line; DELETE removes a line; unknown lines are 404', async () => {
    const user = await createUser(t.http, shop);
    await add(user, mug.id, 1);
    await add(user, pen.id, 1);
    const set = await t.http.patch(`/api/svm/cart/items/${mug.id}`, { quantity: 4 }, { token: user.token });
    expect(set.status).toBe(200);
    expect(set.body.items.find((i: { productId: string }) => i.productId === mug.id).quantity).toBe(4);
    const zero = await t.http.patch(`/api/svm/cart/items/${mug.id}`, { quantity: 0 }, { token: user.token });
    expect(zero.body.items.map((i: { productId: string }) => i.productId)).toEqual([pen.id]);
    const removed = await t.http.delete(`/api/svm/cart/items/${pen.id}`, { token: user.token });
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ items: [], currency: null, total: 0, itemCount: 0 });
    expect((await t.http.delete(`/api/svm/cart/items/${pen.id}`, { token: user.token })).status).toBe(404);
    expect((await t.http.patch(`/api/svm/cart/items/${randomUUID()}`, { quantity: 1 }, { token: user.token })).status).toBe(404);
    expect((await t.http.patch('/api/svm/cart/items/nope', { quantity: 1 }, { token: user.token })).status).toBe(404);
  });

  it('DELETE takes no body: one with fields is 400 and removes nothing', async () => {
    const user = await createUser(t.http, shop);
    await add(user, mug.id, 1);
    const line = await t.http.request('DELETE', `/api/svm/cart/items/${mug.id}`, { token: user.token, body: { all: true } });
    expect(line.status).toBe(400);
    expect(line.body.errors).toEqual([{ field: 'all', message: 'should not exist' }]);
    expect((await t.http.request('DELETE', '/api/svm/cart', { token: user.token, body: { force: 1 } })).status).toBe(400);
    expect((await cart(user)).body.itemCount).toBe(1);
  });

  it('DELETE /cart empties it with 204', async () => {
    const user = await createUser(t.http, shop);
    await add(user, mug.id, 2);
    const res = await t.http.delete('/api/svm/cart', { token: user.token });
    expect(res.status).toBe(204);
    expect((await cart(user)).body).toMatchObject({ items: [], total: 0 });
  });

  it('is always the caller’s own: users never see each other’s lines', async () => {
    const alice = await createUser(t.http, shop);
    const bob = await createUser(t.http, shop);
    await add(alice, mug.id, 3);
    expect((await cart(bob)).body.items).toEqual([]);
    expect((await cart(shop.admin)).body.items).toEqual([]);
    expect((await t.http.delete(`/api/svm/cart/items/${mug.id}`, { token: bob.token })).status).toBe(404);
    expect((await cart(alice)).body.items[0].quantity).toBe(3);
  });

  it('counts every unit of concurrent additions', async () => {
    const user = await createUser(t.http, shop);
    const answers = await Promise.all(Array.from({ length: 40 }, () => add(user, pen.id, 5)));
    expect(answers.every((r) => r.status === 201)).toBe(true);
    expect((await cart(user)).body.itemCount).toBe(200);
  });

  it('supports conditional reads with ETag and 304', async () => {
    const user = await createUser(t.http, shop);
    await add(user, mug.id, 1);
    const first = await cart(user);
    expect(first.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const unchanged = await t.http.get('/api/svm/cart', { token: user.token, headers: { 'if-none-match': first.headers.etag } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.headers).toMatchObject({ etag: first.headers.etag, 'cache-control': 'private, no-cache', 'x-content-type-options': 'nosniff' });
    expect(unchanged.headers['content-type']).toBeUndefined();
    // A weak comparison (RFC 9110 §13.1.2) and a list of candidates match too; another tag does not.
    const listed = { 'if-none-match': `"other", W/${first.headers.etag}` };
    expect((await t.http.get('/api/svm/cart', { token: user.token, headers: listed })).status).toBe(304);
    expect((await t.http.get('/api/svm/cart', { token: user.token, headers: { 'if-none-match': '"other"' } })).status).toBe(200);
    const head = await t.http.request('HEAD', '/api/svm/cart', { token: user.token });
    expect(head.status).toBe(200);
    expect(head.headers.etag).toBe(first.headers.etag);
    // Refusals are not conditional: no tag on a 401.
    const refused = await t.http.get('/api/svm/cart', { headers: { 'if-none-match': first.headers.etag } });
    expect(refused.status).toBe(401);
    expect(refused.headers.etag).toBeUndefined();
    await add(user, mug.id, 1);
    const changed = await t.http.get('/api/svm/cart', { token: user.token, headers: { 'if-none-match': first.headers.etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
  });

  it('refuses a cart whose total would pass the largest amount', async () => {
    const pricey = await createProduct(t.http, shop, { unitPrice: 9007199254740991 });
    const user = await createUser(t.http, shop);
    expect((await add(user, pricey.id, 1)).status).toBe(201);
    const res = await add(user, pricey.id, 1);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('AMOUNT_TOO_LARGE');
  });
});
