import { AuditService } from '../../src/modules/audit/audit.service';
import { PLATFORM_TOKEN, startTestApp, TestApp } from '../support/test-app';
import { createProduct, createTenant, createUser, login, TestTenant, TestUser } from '../support/factories';
import { addToCart, checkout, createFundedWallet, idempotencyKey } from '../support/commerce';

/**
 * Each event type of API.md comes from the action that should produce it,
 * in the right tenant, with the acting user, the client IP and the request id.
 */
describe('audit events produced by actions', () => {
  let t: TestApp;
  let shop: TestTenant;
  let buyer: TestUser;

  /** The one event of `type` written for the request `requestId`. */
  async function eventOf(type: string, requestId: string, tenantId: string | 'none' = shop.id) {
    await t.app.get(AuditService).flush();
    const res = await t.http.get(`/api/admin/audit-logs?tenantId=${tenantId}&type=${type}&limit=100`, { token: PLATFORM_TOKEN });
    const events = res.body.data.filter((e: { requestId: string }) => e.requestId === requestId);
    expect([type, events.length]).toEqual([type, 1]);
    return events[0];
  }

  const as = (requestId: string) => ({ 'x-request-id': requestId });

  beforeAll(async () => {
    t = await startTestApp();
    shop = await createTenant(t.http);
    buyer = await createUser(t.http, shop);
  });
  afterAll(() => t.close());

  it('AUTH_LOGIN, AUTH_FAILED and AUTH_LOGOUT', async () => {
    const ok = await t.http.post('/api/auth/login', { tenant: shop.slug, email: buyer.email, password: buyer.password }, { headers: as('ev-login') });
    expect(await eventOf('AUTH_LOGIN', 'ev-login')).toMatchObject({ tenantId: shop.id, userId: buyer.id, ip: '127.0.0.1', severity: 'INFO', outcome: 'success' });
    await t.http.post('/api/auth/login', { tenant: shop.slug, email: buyer.email, password: 'nope-nope' }, { headers: as('ev-failed') });
    expect(await eventOf('AUTH_FAILED', 'ev-failed')).toMatchObject({ tenantId: shop.id, severity: 'WARNING', outcome: 'failure' });
    await t.http.post('/api/auth/logout', undefined, { token: ok.body.accessToken, headers: as('ev-logout') });
    expect(await eventOf('AUTH_LOGOUT', 'ev-logout')).toMatchObject({ tenantId: shop.id, userId: buyer.id, resourceType: 'session' });
  });

  it('WALLET_CREATE, WALLET_CREDIT, WALLET_DEBIT and WALLET_TRANSFER', async () => {
    const created = await t.http.post('/api/wallets', { currency: 'EUR' }, { token: buyer.token, headers: as('ev-wallet') });
    const wallet = created.body.id;
    expect(await eventOf('WALLET_CREATE', 'ev-wallet')).toMatchObject({ userId: buyer.id, resourceType: 'wallet', resourceId: wallet });
    const admin = { token: shop.admin.token };
    await t.http.post(`/api/wallets/${wallet}/credit`, { amount: 500 }, { ...admin, headers: { ...as('ev-credit'), 'idempotency-key': idempotencyKey() } });
    expect(await eventOf('WALLET_CREDIT', 'ev-credit')).toMatchObject({ userId: shop.admin.id, resourceId: wallet, outcome: 'success' });
    await t.http.post(`/api/wallets/${wallet}/debit`, { amount: 100 }, { ...admin, headers: { ...as('ev-debit'), 'idempotency-key': idempotencyKey() } });
    expect(await eventOf('WALLET_DEBIT', 'ev-debit')).toMatchObject({ userId: shop.admin.id, resourceId: wallet });
    const target = await createFundedWallet(t, shop, shop.admin);
    await t.http.post('/api/wallets/transfers', { fromWalletId: wallet, toWalletId: target, amount: 50 }, { token: buyer.token, headers: { ...as('ev-transfer'), 'idempotency-key': idempotencyKey() } });
    expect(await eventOf('WALLET_TRANSFER', 'ev-transfer')).toMatchObject({ userId: buyer.id, resourceId: wallet, ip: '127.0.0.1' });
  });

  it('ORDER_CREATE, ORDER_STATUS_CHANGE and ORDER_CANCEL', async () => {
    const wallet = await createFundedWallet(t, shop, buyer, 'EUR', 10_000);
    const product = await createProduct(t.http, shop, { unitPrice: 100 });
    await addToCart(t.http, buyer, product.id, 1);
    const first = await t.http.post('/api/svm/orders', { walletId: wallet }, { token: buyer.token, headers: { ...as('ev-order'), 'idempotency-key': idempotencyKey() } });
    expect(await eventOf('ORDER_CREATE', 'ev-order')).toMatchObject({ userId: buyer.id, resourceType: 'order', resourceId: first.body.id });
    await t.http.patch(`/api/svm/orders/${first.body.id}/status`, { status: 'FULFILLED' }, { token: shop.admin.token, headers: as('ev-status') });
    expect(await eventOf('ORDER_STATUS_CHANGE', 'ev-status')).toMatchObject({ userId: shop.admin.id, resourceId: first.body.id, metadata: { from: 'PAID', to: 'FULFILLED' } });
    await addToCart(t.http, buyer, product.id, 1);
    const second = (await checkout(t.http, buyer, wallet)).body;
    await t.http.post(`/api/svm/orders/${second.id}/cancel`, undefined, { token: buyer.token, headers: { ...as('ev-cancel'), 'idempotency-key': idempotencyKey() } });
    expect(await eventOf('ORDER_CANCEL', 'ev-cancel')).toMatchObject({ userId: buyer.id, resourceId: second.id });
  });

  it('SECURITY_VIOLATION for a foreign X-Tenant-ID and for a reused refresh token', async () => {
    const other = await createTenant(t.http);
    await t.http.get('/api/auth/me', { token: buyer.token, headers: { ...as('ev-mismatch'), 'x-tenant-id': other.id } });
    expect(await eventOf('SECURITY_VIOLATION', 'ev-mismatch')).toMatchObject({ tenantId: shop.id, userId: buyer.id });
    const session = await login(t.http, shop.slug, buyer.email, buyer.password);
    await t.http.post('/api/auth/refresh', { refreshToken: session.refreshToken });
    await t.http.post('/api/auth/refresh', { refreshToken: session.refreshToken }, { headers: as('ev-reuse') });
    expect(await eventOf('SECURITY_VIOLATION', 'ev-reuse')).toMatchObject({ severity: 'CRITICAL', userId: buyer.id });
  });

  it('never stores passwords or tokens in event metadata', async () => {
    await t.app.get(AuditService).flush();
    const res = await t.http.get(`/api/admin/audit-logs?tenantId=${shop.id}&limit=100`, { token: PLATFORM_TOKEN });
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(buyer.password);
    expect(text).not.toContain(buyer.token);
    expect(text).not.toContain('nope-nope');
  });
});
