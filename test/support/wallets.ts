import { randomUUID } from 'node:crypto';
import { TestResponse } from './http';
import { TestApp } from './test-app';

/** Opens a wallet for the token's user; fails the test on anything but 201. */
export async function createWallet(t: Pick<TestApp, 'http'>, token: string, currency = 'EUR', name?: string): Promise<{ id: string; userId: string }> {
  const res = await t.http.post('/api/wallets', name === undefined ? { currency } : { currency, name }, { token });
  if (res.status !== 201) throw new Error(`wallet not created: ${res.status} ${res.text}`);
  return res.body;
}

/** POST with an Idempotency-Key (a fresh one unless given). */
export function postIdempotent(t: Pick<TestApp, 'http'>, path: string, body: unknown, token: string, key: string = randomUUID()): Promise<TestResponse> {
  return t.http.post(path, body, { token, headers: { 'idempotency-key': key } });
}

export async function credit(t: Pick<TestApp, 'http'>, adminToken: string, walletId: string, amount: number): Promise<void> {
  const res = await postIdempotent(t, `/api/wallets/${walletId}/credit`, { amount }, adminToken);
  if (res.status !== 201) throw new Error(`credit failed: ${res.status} ${res.text}`);
}

export async function balanceOf(t: Pick<TestApp, 'http'>, token: string, walletId: string): Promise<number> {
  const res = await t.http.get(`/api/wallets/${walletId}`, { token });
  if (res.status !== 200) throw new Error(`wallet read failed: ${res.status} ${res.text}`);
  return res.body.balance;
}
