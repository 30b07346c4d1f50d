import { startTestApp, TestApp } from '../support/test-app';
import { createProduct, createTenant, createUser, TestTenant, TestUser } from '../support/factories';
import { addToCart, checkout, createFundedWallet } from '../support/commerce';
import { balanceOf } from '../support/wallets';

const BUYERS = 300;
const STOCK = 100;
const PRICE = 700;
const FUNDS = 5_000;

/** Runs `work` over `items` with at most `width` in flight. */
async function inParallel<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

describe('checkout under contention', () => {
  let t: TestApp;
  let shop: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    shop = await createTenant(t.http);
  });
  afterAll(() => t.close());

  it(`never oversells: ${BUYERS} buyers at once for ${STOCK} units`, async () => {
    const product = await createProduct(t.http, shop, { stock: STOCK, unitPrice: PRICE });
    const buyers = await inParallel(Array.from({ length: BUYERS }), 8, async () => {
      const user = await createUser(t.http, shop);
      const wallet = await createFundedWallet(t, shop, user, 'EUR', FUNDS);
      await addToCart(t.http, user, product.id, 1);
      return { user, wallet };
    });

    const answers = await Promise.all(buyers.map(({ user, wallet }) => checkout(t.http, user, wallet)));

    const statuses = answers.reduce<Record<string, number>>((acc, r) => ({ ...acc, [`${r.status} ${r.body?.code ?? ''}`.trim()]: (acc[`${r.status} ${r.body?.code ?? ''}`.trim()] ?? 0) + 1 }), {});
    expect(statuses).toEqual({ 201: STOCK, '409 OUT_OF_STOCK': BUYERS - STOCK });
    expect((await t.http.get(`/api/svm/products/${product.id}`, { token: shop.admin.token })).body.stock).toBe(0);

    const balances = await inParallel(buyers, 16, ({ user, wallet }: { user: TestUser; wallet: string }) => balanceOf(t, user.token, wallet));
    const debited = balances.filter((b) => b === FUNDS - PRICE).length;
    expect(debited).toBe(STOCK);
    expect(balances.filter((b) => b === FUNDS).length).toBe(BUYERS - STOCK);
    // The ones turned away keep their carts.
    const losers = buyers.filter((_, i) => answers[i].status === 409);
    const carts = await inParallel(losers, 16, ({ user }) => t.http.get('/api/svm/cart', { token: user.token }));
    expect(carts.every((c) => c.body.itemCount === 1)).toBe(true);

    const summary = (await t.http.get('/api/ledger/summary', { token: shop.admin.token })).body;
    expect(summary.consistent).toBe(true);
    const eur = summary.currencies.find((c: { currency: string }) => c.currency === 'EUR');
    expect(eur.revenue).toBe(STOCK * PRICE);
    expect(eur.sum).toBe(0);
    const orders = await t.http.get('/api/svm/orders?limit=100', { token: shop.admin.token });
    expect(orders.body.data).toHaveLength(100);
    expect(orders.body.nextCursor).toBeNull();
  });

  it('pages 250 orders with limit=7 while 50 more are created, skipping and repeating none', async () => {
    const tenant = await createTenant(t.http);
    const product = await createProduct(t.http, tenant, { stock: 1000, unitPrice: 1 });
    // Each buyer places its orders one after another, so a checkout holds exactly its own line.
    const buyers = await inParallel(Array.from({ length: 11 }), 5, async () => {
      const user = await createUser(t.http, tenant);
      return { user, wallet: await createFundedWallet(t, tenant, user, 'EUR', 1000) };
    });
    const placeOrder = async ({ user, wallet }: { user: TestUser; wallet: string }) => {
      await addToCart(t.http, user, product.id, 1);
      const res = await checkout(t.http, user, wallet);
      if (res.status !== 201) throw new Error(`checkout ${res.status} ${res.text}`);
      return res.body.id as string;
    };
    const [latecomer, ...regulars] = buyers;
    const existing: string[] = [];
    await Promise.all(
      regulars.map(async (buyer) => {
        for (let i = 0; i < 25; i++) existing.push(await placeOrder(buyer));
      }),
    );
    expect(existing).toHaveLength(250);

    const seen: string[] = [];
    let cursor: string | null = null;
    const writer = (async () => {
      for (let i = 0; i < 50; i++) await placeOrder(latecomer);
    })();
    do {
      const res: any = await t.http.get(`/api/svm/orders?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: tenant.admin.token });
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((o: { id: string }) => o.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    await writer;

    expect(new Set(seen).size).toBe(seen.length);
    const missing = existing.filter((id) => !seen.includes(id));
    expect(missing).toEqual([]);
  });
});
