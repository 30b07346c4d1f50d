import { randomUUID } from 'node:crypto';
import { startTestApp, TestApp } from '../support/test-app';
import { createProduct, createTenant, createUser, TestTenant, TestUser } from '../support/factories';

describe('catalog', () => {
  let t: TestApp;
  let shop: TestTenant;
  let other: TestTenant;
  let member: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    shop = await createTenant(t.http);
    other = await createTenant(t.http);
    member = await createUser(t.http, shop);
  });
  afterAll(() => t.close());

  it('an admin creates a product; anyone of the tenant reads it', async () => {
    const res = await t.http.post('/api/svm/products', { sku: 'MUG-1', name: 'Mug', unitPrice: 1299, currency: 'EUR', stock: 7 }, { token: shop.admin.token });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      sku: 'MUG-1',
      name: 'Mug',
      unitPrice: 1299,
      currency: 'EUR',
      stock: 7,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const read = await t.http.get(`/api/svm/products/${res.body.id}`, { token: member.token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
  });

  it('allows a price of 0 and refuses bad prices and stock', async () => {
    expect((await t.http.post('/api/svm/products', { sku: 'FREE', name: 'Free', unitPrice: 0, currency: 'EUR', stock: 0 }, { token: shop.admin.token })).status).toBe(201);
    for (const patch of [
      { unitPrice: -1 },
      { unitPrice: 1.5 },
      { unitPrice: '10' },
      // 2^53 + 2: JSON.stringify keeps it beyond the largest exact integer.
      { unitPrice: 2 ** 53 + 2 },
      { unitPrice: null },
      { stock: -1 },
      { stock: 1000000001 },
      { stock: 2.5 },
      { currency: 'eur' },
      { currency: 'EURO' },
      { sku: 'has space' },
      { name: '' },
    ]) {
      const res = await t.http.post('/api/svm/products', { sku: `S-${randomUUID().slice(0, 8)}`, name: 'X', unitPrice: 1, currency: 'EUR', stock: 1, ...patch }, { token: shop.admin.token });
      expect([JSON.stringify(patch), res.status, res.body.code]).toEqual([JSON.stringify(patch), 400, 'VALIDATION_FAILED']);
    }
  });

  it('names the type when a sku is not a string, and stores nothing', async () => {
    const res = await t.http.post('/api/svm/products', { sku: 12345, name: 'X', unitPrice: 1, currency: 'EUR', stock: 1 }, { token: shop.admin.token });
    expect([res.status, res.body.code, res.body.errors]).toEqual([400, 'VALIDATION_FAILED', [{ field: 'sku', message: 'must be a string' }]]);
    const listed = await t.http.get('/api/svm/products?limit=100', { token: shop.admin.token });
    expect(listed.body.data.map((product: { sku: string }) => product.sku)).not.toContain('12345');
  });

  it('answers 409 CONFLICT for a duplicate sku in the tenant, not across tenants', async () => {
    await createProduct(t.http, shop, { sku: 'DUP-1' });
    const dup = await t.http.post('/api/svm/products', { sku: 'DUP-1', name: 'X', unitPrice: 1, currency: 'EUR', stock: 1 }, { token: shop.admin.token });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('CONFLICT');
    await createProduct(t.http, other, { sku: 'DUP-1' });
  });

  it('members cannot create or change products', async () => {
    const product = await createProduct(t.http, shop);
    expect((await t.http.post('/api/svm/products', { sku: 'M', name: 'M', unitPrice: 1, currency: 'EUR', stock: 1 }, { token: member.token })).status).toBe(403);
    expect((await t.http.patch(`/api/svm/products/${product.id}`, { stock: 1 }, { token: member.token })).status).toBe(403);
  });

  it('PATCH changes only the given fields and refuses null or nothing', async () => {
    const product = await createProduct(t.http, shop, { unitPrice: 500, stock: 3 });
    const res = await t.http.patch(`/api/svm/products/${product.id}`, { stock: 42, name: 'Renamed' }, { token: shop.admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: product.id, stock: 42, name: 'Renamed', unitPrice: 500, sku: product.sku });
    expect(res.body.updatedAt >= res.body.createdAt).toBe(true);
    expect((await t.http.patch(`/api/svm/products/${product.id}`, { stock: null }, { token: shop.admin.token })).status).toBe(400);
    expect((await t.http.patch(`/api/svm/products/${product.id}`, {}, { token: shop.admin.token })).status).toBe(400);
    expect((await t.http.patch(`/api/svm/products/${product.id}`, { id: randomUUID() }, { token: shop.admin.token })).status).toBe(400);
  });

  it('never shows or changes another tenant’s product: 404', async () => {
    const theirs = await createProduct(t.http, other, { name: 'Secret product' });
    for (const res of [
      await t.http.get(`/api/svm/products/${theirs.id}`, { token: shop.admin.token }),
      await t.http.patch(`/api/svm/products/${theirs.id}`, { stock: 0 }, { token: shop.admin.token }),
      await t.http.get(`/api/svm/products/${randomUUID()}`, { token: shop.admin.token }),
      await t.http.get('/api/svm/products/not-a-uuid', { token: shop.admin.token }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    const list = await t.http.get('/api/svm/products?limit=100', { token: shop.admin.token });
    expect(JSON.stringify(list.body)).not.toContain('Secret product');
    const untouched = await t.http.get(`/api/svm/products/${theirs.id}`, { token: other.admin.token });
    expect(untouched.body.stock).toBe(theirs.stock);
  });

  it('lists products newest first across pages without repeats', async () => {
    const tenant = await createTenant(t.http);
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await createProduct(t.http, tenant));
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await t.http.get(`/api/svm/products?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: tenant.admin.token });
      ids.push(...res.body.data.map((p: { id: string }) => p.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(ids).toEqual(made.map((p) => p.id).reverse());
  });
});
