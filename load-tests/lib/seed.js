'use strict';
// Seeds the data of a run through the public API only, and finds out which
// features the service has: a route that answers 404 is not built yet.
const { randomBytes } = require('node:crypto');
const { ApiError, inBatches } = require('./api-client');

const CURRENCY = 'EUR';
/** Funds of each user's main wallet: enough for every transfer and checkout of a run. */
const WALLET_FUNDS = 1_000_000_000;
/** Requests in flight while seeding. */
const SEED_CONCURRENCY = 8;

const runTag = randomBytes(4).toString('hex');
let keyCounter = 0;
/** A fresh Idempotency-Key (1–255 printable ASCII characters). */
const idempotencyKey = (prefix) => `${prefix}-${runTag}-${++keyCounter}`;

const range = (n) => Array.from({ length: n }, (_, i) => i);

async function login(api, tenant, email, password) {
  const tokens = await api.expect(200, `login ${email}`, 'POST', '/api/auth/login', { body: { tenant, email, password } });
  const me = await api.expect(200, `me of ${email}`, 'GET', '/api/auth/me', { token: tokens.accessToken });
  return { id: me.userId, email, token: tokens.accessToken };
}

/** A tenant with its admin signed in. */
async function seedTenant(api, platformToken) {
  const slug = `load-${randomBytes(5).toString('hex')}`;
  const adminEmail = `admin@${slug}.test`;
  const adminPassword = `pw-${randomBytes(12).toString('hex')}`;
  const tenant = await api.expect(201, 'create tenant', 'POST', '/api/admin/tenants', {
    token: platformToken,
    body: { slug, name: `Load test ${slug}`, adminEmail, adminPassword },
  });
  const admin = await login(api, slug, adminEmail, adminPassword);
  return { id: tenant.id, slug, admin };
}

/**
 * Sends the first request of a step: `null` when it answered `expected`,
 * a reason when it answered 404 (the route is not built yet); any other
 * answer is a seeding failure.
 */
async function probe(api, expected, route, options) {
  const [method, path] = route.split(' ');
  const res = await api.request(method, path, options);
  if (res.status === 404) return { missing: `${route} answered 404 (not built yet?)` };
  if (res.status !== expected) throw new ApiError(route, res);
  return { body: res.body };
}

async function seedMembers(api, tenant, count) {
  return inBatches(range(count), SEED_CONCURRENCY, async (i) => {
    const email = `member-${i}@${tenant.slug}.test`;
    const password = `pw-${randomBytes(12).toString('hex')}`;
    await api.expect(201, `create user ${email}`, 'POST', '/api/users', { token: tenant.admin.token, body: { email, password, role: 'member' } });
    return { ...(await login(api, tenant.slug, email, password)), wallets: [] };
  });
}

async function seedProducts(api, admin, count) {
  const create = (i) => ({
    token: admin.token,
    body: { sku: `LOAD-${i}`, name: `Load product ${i}`, unitPrice: 100 + 50 * i, currency: CURRENCY, stock: 1_000_000_000 },
  });
  const first = await probe(api, 201, 'POST /api/svm/products', create(0));
  if (first.missing) return first;
  const rest = await inBatches(range(count).slice(1), SEED_CONCURRENCY, (i) => api.expect(201, 'create product', 'POST', '/api/svm/products', create(i)));
  return { products: [first.body, ...rest].map((p) => ({ id: p.id, unitPrice: p.unitPrice })) };
}

/** `perUser` wallets for each member; the first one funded by the admin. */
async function seedWallets(api, admin, users, perUser) {
  const name = (i) => (i ? `Savings ${i}` : 'Main');
  const first = await probe(api, 201, 'POST /api/wallets', { token: users[0].token, body: { currency: CURRENCY, name: name(0) } });
  if (first.missing) return first;
  users[0].wallets.push(first.body.id);
  await inBatches(users, SEED_CONCURRENCY, async (user) => {
    while (user.wallets.length < perUser) {
      const body = { currency: CURRENCY, name: name(user.wallets.length) };
      user.wallets.push((await api.expect(201, 'create wallet', 'POST', '/api/wallets', { token: user.token, body })).id);
    }
    await api.expect(201, 'fund wallet', 'POST', `/api/wallets/${user.wallets[0]}/credit`, {
      token: admin.token,
      headers: { 'idempotency-key': idempotencyKey('seed-credit') },
      body: { amount: WALLET_FUNDS, reference: 'load-test funding' },
    });
  });
  return {};
}

/** One transfer of 1 between the first two members: does the route exist? */
function probeTransfers(api, users) {
  return probe(api, 201, 'POST /api/wallets/transfers', {
    token: users[0].token,
    headers: { 'idempotency-key': idempotencyKey('seed-transfer') },
    body: { fromWalletId: users[0].wallets[0], toWalletId: users[1 % users.length].wallets[0], amount: 1, reference: 'load-test probe' },
  });
}

/** `perUser` past orders for each member (add to cart, check out). */
async function seedOrders(api, users, products, perUser) {
  const listed = await probe(api, 200, 'GET /api/svm/orders', { token: users[0].token });
  if (listed.missing) return listed;
  let orders = 0;
  await inBatches(users, SEED_CONCURRENCY, async (user, u) => {
    for (let i = 0; i < perUser; i++) {
      const product = products[(u + i) % products.length];
      await api.expect(201, 'add to cart', 'POST', '/api/svm/cart/items', { token: user.token, body: { productId: product.id, quantity: 1 + (i % 3) } });
      await api.expect(201, 'checkout', 'POST', '/api/svm/orders', {
        token: user.token,
        headers: { 'idempotency-key': idempotencyKey('seed-order') },
        body: { walletId: user.wallets[0] },
      });
      orders++;
    }
  });
  return { orders };
}

/** `lines` lines in each member's cart, left there for cartRead. */
async function seedCarts(api, users, products, lines) {
  const read = await probe(api, 200, 'GET /api/svm/cart', { token: users[0].token });
  if (read.missing) return read;
  await inBatches(users, SEED_CONCURRENCY, async (user, u) => {
    for (let i = 0; i < lines; i++) {
      const product = products[(u * lines + i) % products.length];
      await api.expect(201, 'add to cart', 'POST', '/api/svm/cart/items', { token: user.token, body: { productId: product.id, quantity: 1 + i } });
    }
  });
  return {};
}

/**
 * Everything the selected scenarios read or write: members with tokens,
 * products, funded wallets, past orders and carts with lines. A step whose
 * route answers 404 is skipped and named in `unavailable` (by feature), and
 * so are the steps that depend on it.
 */
async function seed(api, { platformToken, users: userCount, products: productCount, cartLines, walletsPerUser, ordersPerUser, needs }, log) {
  const started = Date.now();
  const unavailable = {};
  const counts = { users: 0, products: 0, walletsPerUser: 0, orders: 0, cartLines: 0 };
  const tenant = await seedTenant(api, platformToken);
  const users = await seedMembers(api, tenant, userCount);
  counts.users = users.length;
  log(`seeded tenant ${tenant.slug} and ${users.length} members`);

  const catalog = await seedProducts(api, tenant.admin, productCount);
  unavailable.catalog = catalog.missing;
  const products = catalog.products ?? [];
  counts.products = products.length;

  if (needs.wallets) {
    unavailable.wallets = (await seedWallets(api, tenant.admin, users, walletsPerUser)).missing;
    if (!unavailable.wallets) {
      counts.walletsPerUser = walletsPerUser;
      log(`seeded ${users.length * walletsPerUser} wallets, ${users.length} funded with ${WALLET_FUNDS}`);
      if (needs.transfers) unavailable.transfers = (await probeTransfers(api, users)).missing;
    }
  }

  if (needs.orders) {
    const missing = unavailable.wallets || unavailable.catalog;
    const result = missing ? { missing: `needs ${missing}` } : await seedOrders(api, users, products, ordersPerUser);
    unavailable.orders = result.missing;
    counts.orders = result.orders ?? 0;
    if (counts.orders) log(`seeded ${counts.orders} orders`);
  }

  const carts = unavailable.catalog ? { missing: `needs ${unavailable.catalog}` } : await seedCarts(api, users, products, cartLines);
  unavailable.cart = carts.missing;
  if (!carts.missing) {
    counts.cartLines = cartLines;
    log(`seeded ${users.length} carts of ${cartLines} lines`);
  }

  for (const key of Object.keys(unavailable)) if (!unavailable[key]) delete unavailable[key];
  return {
    tenant: { id: tenant.id, slug: tenant.slug },
    admin: tenant.admin,
    users,
    products,
    unavailable,
    counts,
    seconds: (Date.now() - started) / 1000,
  };
}

module.exports = { seed, seedTenant, idempotencyKey, CURRENCY };
