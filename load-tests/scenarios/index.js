'use strict';
// The scenarios of issue 9, by name. Each says what it needs seeded, how to
// tell whether its routes exist, the autocannon requests it sends, its
// baseline and the targets it is held to.
const { idempotencyKey } = require('../lib/seed');
const { asRotatingUser, cycle, leasePool, JSON_HEADERS } = require('./request-helpers');

/** Baseline requests for the read scenarios: the same users, as headers the bare route reads. */
function baselineReadRequests(seedData) {
  const nextUser = cycle(seedData.users);
  return [
    {
      method: 'GET',
      path: '/cart',
      setupRequest: (request) => {
        const user = nextUser();
        // The bearer header is sent (and ignored) so both requests are about the same size.
        request.headers = { ...request.headers, authorization: `Bearer ${user.token}`, 'x-tenant-id': seedData.tenant.id, 'x-user-id': user.id };
        return request;
      },
    },
  ];
}

const healthRequests = () => [{ method: 'GET', path: '/api/health' }];

function readScenario(name, path, feature) {
  return {
    name,
    path: `GET ${path}`,
    connections: 50,
    durationS: 15,
    needs: { seed: true, wallets: feature !== 'cart', orders: feature === 'orders' },
    baseline: 'bare-fastify-pg',
    unavailable: (run) => run.seedData.unavailable[feature],
    requests: (run) => [{ method: 'GET', path, setupRequest: asRotatingUser(run.seedData.users) }],
    baselineRequests: (run) => baselineReadRequests(run.seedData),
    targets: (r) => [
      { target: 'req/s ≥ 0.5 × bare Fastify + pg', holds: r.ratio !== null && r.ratio >= 0.5 },
      { target: 'p99 < 20 ms', holds: r.latency.p99 < 20 },
      { target: '0 errors, 0 non-2xx', holds: r.errors === 0 && r.non2xx === 0 },
    ],
  };
}

/** The targets of a money-moving scenario: no failed request, and a ledger that still reconciles. */
const writeTargets = (r) => [
  { target: '0 errors', holds: r.errors === 0 },
  { target: 'ledger consistent', holds: r.ledger?.consistent === true },
];

const SCENARIOS = [
  {
    name: 'health',
    path: 'GET /api/health',
    connections: 10,
    durationS: 10,
    needs: {},
    baseline: 'bare-fastify',
    // The framework's own floor, measured the same way: how much of the gap is NestJS's, how much ours.
    reference: 'bare-nest',
    requests: healthRequests,
    baselineRequests: healthRequests,
    targets: (r) => [{ target: 'req/s ≥ 0.6 × bare Fastify', holds: r.ratio !== null && r.ratio >= 0.6 }],
  },
  readScenario('cartRead', '/api/svm/cart', 'cart'),
  readScenario('walletList', '/api/wallets', 'wallets'),
  readScenario('orderList', '/api/svm/orders', 'orders'),
  {
    name: 'highConcurrency',
    path: 'GET /api/health',
    connections: 200,
    durationS: 20,
    needs: {},
    baseline: 'bare-fastify',
    requests: healthRequests,
    baselineRequests: healthRequests,
    targets: (r) => [
      { target: '0 errors', holds: r.errors === 0 },
      { target: 'p99 < 50 ms', holds: r.latency.p99 < 50 },
    ],
  },
  {
    name: 'transfer',
    path: 'POST /api/wallets/transfers',
    connections: 50,
    durationS: 15,
    needs: { seed: true, wallets: true, transfers: true },
    checksLedger: true,
    unavailable: (run) => run.seedData.unavailable.wallets || run.seedData.unavailable.transfers,
    requests: (run) => {
      const users = run.seedData.users;
      const index = new Map(users.map((user, i) => [user, i]));
      return [
        {
          method: 'POST',
          path: '/api/wallets/transfers',
          headers: JSON_HEADERS,
          // From each user's main wallet to the next user's: money goes round the ring.
          setupRequest: asRotatingUser(users, (user, request) => {
            const to = users[(index.get(user) + 1) % users.length];
            request.headers['idempotency-key'] = idempotencyKey('transfer');
            request.body = JSON.stringify({ fromWalletId: user.wallets[0], toWalletId: to.wallets[0], amount: 1, reference: 'load test' });
            return request;
          }),
        },
      ];
    },
    targets: writeTargets,
  },
  {
    name: 'checkout',
    path: 'POST /api/svm/cart/items + POST /api/svm/orders',
    connections: 50,
    durationS: 15,
    needs: { seed: true, wallets: true, orders: true },
    checksLedger: true,
    unavailable: (run) => run.seedData.unavailable.cart || run.seedData.unavailable.wallets || run.seedData.unavailable.orders,
    requests: (run) => {
      const users = leasePool(run.seedData.users);
      const nextProduct = cycle(run.seedData.products);
      return [
        {
          method: 'POST',
          path: '/api/svm/cart/items',
          headers: JSON_HEADERS,
          setupRequest: (request, context) => {
            context.user = users.take();
            request.headers = { ...request.headers, authorization: `Bearer ${context.user.token}` };
            request.body = JSON.stringify({ productId: nextProduct().id, quantity: 1 });
            return request;
          },
        },
        {
          method: 'POST',
          path: '/api/svm/orders',
          headers: JSON_HEADERS,
          setupRequest: (request, context) => {
            request.headers = { ...request.headers, authorization: `Bearer ${context.user.token}`, 'idempotency-key': idempotencyKey('checkout') };
            request.body = JSON.stringify({ walletId: context.user.wallets[0] });
            return request;
          },
          onResponse: (_status, _body, context) => users.give(context.user),
        },
      ];
    },
    targets: writeTargets,
  },
  {
    name: 'rateLimited',
    path: 'GET /api/auth/me (over its limit)',
    connections: 50,
    durationS: 10,
    needs: { rateLimitedInstance: true },
    unavailable: (run) => run.rateLimited.unavailable,
    target: (run) => run.rateLimited.baseUrl,
    requests: (run) => [{ method: 'GET', path: '/api/auth/me', headers: { authorization: `Bearer ${run.rateLimited.token}` } }],
    targets: (r, run) => {
      const { limit, windowSeconds } = run.rateLimited;
      // Windows the run touched (sliding or fixed): at most this many may pass.
      const allowed = limit * (Math.ceil(r.durationS / windowSeconds) + 1);
      const limited = r.statusCodes['429'] ?? 0;
      return [
        { target: `2xx ≤ ${allowed} (limit ${limit} per ${windowSeconds} s)`, holds: r.status2xx <= allowed },
        { target: 'every other answer is 429', holds: limited === r.non2xx && limited > 0 },
        { target: '0 errors', holds: r.errors === 0 },
      ];
    },
  },
];

module.exports = { SCENARIOS, SCENARIO_NAMES: SCENARIOS.map((s) => s.name) };
