import { registeredRoutes } from '../../src/common/http/route-registry';
import { startTestApp, TestApp } from '../support/test-app';
import { createProduct, createTenant, createUser, TestTenant, TestUser } from '../support/factories';
import { addToCart, checkout, createFundedWallet, idempotencyKey } from '../support/commerce';

interface Victim {
  tenant: TestTenant;
  member: TestUser;
  ids: Record<string, string>;
  /** Text that must never appear in an answer given to the attacker. */
  secrets: string[];
}

/**
 * Tenant A's users against every route that takes an id, with tenant B's ids
 * (and, for members, another user's of the same tenant) in the path, the
 * query and the body: nothing but 404/403, and not one byte of B's data.
 */
describe('cross-tenant and cross-user access', () => {
  let t: TestApp;
  let a: TestTenant;
  let aMember: TestUser;
  let aMemberWallet: string;
  let aProduct: string;
  let b: Victim;
  let routes: Array<{ method: string; url: string }>;

  async function makeVictim(tenant: TestTenant): Promise<Victim> {
    const member = await createUser(t.http, tenant);
    const product = await createProduct(t.http, tenant, { name: `secret-product-${tenant.slug}`, sku: `SECRET-${tenant.slug}` });
    const wallet = await createFundedWallet(t, tenant, member, 'EUR', 50_000);
    await addToCart(t.http, member, product.id, 1);
    const order = (await checkout(t.http, member, wallet)).body;
    await addToCart(t.http, member, product.id, 2);
    return { tenant, member, ids: { user: member.id, product: product.id, wallet, order: order.id }, secrets: [member.email, product.name, product.sku, wallet, order.id] };
  }

  beforeAll(async () => {
    t = await startTestApp();
    a = await createTenant(t.http);
    aMember = await createUser(t.http, a);
    aMemberWallet = await createFundedWallet(t, a, aMember, 'EUR', 50_000);
    aProduct = (await createProduct(t.http, a)).id;
    await addToCart(t.http, aMember, aProduct, 1);
    b = await makeVictim(await createTenant(t.http));
    routes = registeredRoutes(t.app.getHttpAdapter().getInstance()).filter((r) => r.url.includes('/:') && r.method !== 'HEAD');
  });
  afterAll(() => t.close());

  /** A body that is valid but for the foreign id, so that only the id can be refused. */
  function bodyFor(method: string, url: string): unknown {
    if (url.endsWith('/credit') || url.endsWith('/debit')) return { amount: 1 };
    if (url === '/api/svm/cart/items/:productId' && method === 'PATCH') return { quantity: 1 };
    if (url === '/api/svm/orders/:id/status') return { status: 'FULFILLED' };
    if (url === '/api/svm/products/:id' && method === 'PATCH') return { stock: 1 };
    return undefined;
  }

  /** `sameTenant`: the victim is a neighbour, so shared things (products, paying into their wallet) are allowed. */
  async function attack(attacker: TestUser, victim: Victim, sameTenant = false) {
    const failures: string[] = [];
    const answers: string[] = [];
    const record = (what: string, res: { status: number; text: string }) => {
      answers.push(res.text);
      if (res.status !== 404 && res.status !== 403) failures.push(`${what} -> ${res.status}`);
    };
    const headers = () => ({ 'idempotency-key': idempotencyKey() });
    for (const route of routes) {
      for (const id of Object.values(victim.ids)) {
        const path = route.url.replace(/:[A-Za-z]+/g, id);
        record(`${route.method} ${route.url} (${id})`, await t.http.request(route.method, path, { token: attacker.token, body: bodyFor(route.method, route.url), headers: headers() }));
      }
    }
    // Ids in query strings and bodies.
    record('GET /api/wallets?userId', await t.http.get(`/api/wallets?userId=${victim.ids.user}`, { token: attacker.token }));
    if (!sameTenant) {
      record('POST /api/svm/cart/items', await t.http.post('/api/svm/cart/items', { productId: victim.ids.product, quantity: 1 }, { token: attacker.token }));
    }
    record('POST /api/svm/orders', await t.http.post('/api/svm/orders', { walletId: victim.ids.wallet }, { token: attacker.token, headers: headers() }));
    const ownWallet = attacker === aMember ? aMemberWallet : await createFundedWallet(t, a, attacker, 'EUR', 10);
    const transfers = [{ fromWalletId: victim.ids.wallet, toWalletId: ownWallet, amount: 1 }];
    if (!sameTenant) transfers.push({ fromWalletId: ownWallet, toWalletId: victim.ids.wallet, amount: 1 });
    for (const body of transfers) {
      record(`POST /api/wallets/transfers ${JSON.stringify(body)}`, await t.http.post('/api/wallets/transfers', body, { token: attacker.token, headers: headers() }));
    }
    return { failures, answers };
  }

  it('finds the id-taking routes of the router', () => {
    expect(routes.length).toBeGreaterThanOrEqual(11);
  });

  it.each(['admin', 'member'])('gives tenant A’s %s only 404/403 for tenant B’s ids, and none of B’s data', async (role) => {
    const attacker = role === 'admin' ? a.admin : aMember;
    const { failures, answers } = await attack(attacker, b);
    expect(failures).toEqual([]);
    const leaked = b.secrets.filter((secret) => answers.some((text) => text.includes(secret)) && !secret.match(/^[0-9a-f-]{36}$/));
    expect(leaked).toEqual([]);
  });

  it('gives a member only 404/403 for another member’s ids in the same tenant', async () => {
    const neighbour = await makeVictim(a);
    // Products are shared by the tenant, and paying into a neighbour's wallet is allowed: both are left out.
    const { failures, answers } = await attack(aMember, { ...neighbour, ids: { wallet: neighbour.ids.wallet, order: neighbour.ids.order, user: neighbour.ids.user } }, true);
    expect(failures).toEqual([]);
    expect(answers.some((text) => text.includes(neighbour.member.email))).toBe(false);
  });

  it('left B’s data exactly as it was', async () => {
    const wallet = await t.http.get(`/api/wallets/${b.ids.wallet}`, { token: b.member.token });
    expect(wallet.body.balance).toBe(50_000 - 1000);
    const order = await t.http.get(`/api/svm/orders/${b.ids.order}`, { token: b.member.token });
    expect(order.body.status).toBe('PAID');
    const cart = await t.http.get('/api/svm/cart', { token: b.member.token });
    expect(cart.body.items).toEqual([expect.objectContaining({ productId: b.ids.product, quantity: 2 })]);
    const product = await t.http.get(`/api/svm/products/${b.ids.product}`, { token: b.tenant.admin.token });
    expect(product.body.stock).toBe(99);
  });
});
