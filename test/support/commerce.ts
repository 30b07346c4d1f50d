import { randomUUID } from 'node:crypto';
import { HttpClient } from './http';
import { TestTenant, TestUser } from './factories';
import { TestApp } from './test-app';
import { createWallet, credit } from './wallets';

/** A fresh idempotency key per intended operation. */
export const idempotencyKey = () => randomUUID();

/** A wallet of `owner`, funded from the tenant's external account by its admin when `balance` > 0. */
export async function createFundedWallet(t: Pick<TestApp, 'http'>, tenant: TestTenant, owner: TestUser, currency = 'EUR', balance = 0): Promise<string> {
  const wallet = await createWallet(t, owner.token, currency);
  if (balance > 0) await credit(t, tenant.admin.token, wallet.id, balance);
  return wallet.id;
}

export async function addToCart(http: HttpClient, user: TestUser, productId: string, quantity: number): Promise<void> {
  const res = await http.post('/api/svm/cart/items', { productId, quantity }, { token: user.token });
  if (res.status !== 201) throw new Error(`add to cart: ${res.status} ${res.text}`);
}

export function checkout(http: HttpClient, user: TestUser, walletId: string, key = idempotencyKey()) {
  return http.post('/api/svm/orders', { walletId }, { token: user.token, headers: { 'idempotency-key': key } });
}
