import { randomUUID } from 'node:crypto';
import { AuditService } from '../../src/modules/audit/audit.service';
import { LedgerReconciler } from '../../src/modules/wallets/ledger-reconciler';
import { queryAsOwner } from '../support/db';
import { createTenant, TestTenant } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { balanceOf, createWallet, credit, postIdempotent } from '../support/wallets';

jest.setTimeout(5 * 60_000);

/** Many requests on the same rows at once: no overdraft, no lost update, no deadlock reaching a client. */
describe('wallet races', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await createTenant(t.http);
  });
  afterAll(() => t.close());

  const admin = () => tenant.admin.token;

  it('lets exactly 50 of 100 concurrent debits of 10 through a balance of 500', async () => {
    const wallet = (await createWallet(t, admin())).id;
    await credit(t, admin(), wallet, 500);
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => postIdempotent(t, `/api/wallets/${wallet}/debit`, { amount: 10 }, admin())),
    );
    const ok = answers.filter((r) => r.status === 201);
    const refused = answers.filter((r) => r.status === 422);
    expect(ok).toHaveLength(50);
    expect(refused).toHaveLength(50);
    for (const res of refused) expect(res.body.code).toBe('INSUFFICIENT_FUNDS');
    // Each success saw a distinct balance: the debits were applied one after another.
    expect(ok.map((r) => r.body.balanceAfter).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i * 10));
    expect(await balanceOf(t, admin(), wallet)).toBe(0);
  });

  it('loses no update among 500 concurrent credits of 1', async () => {
    const wallet = (await createWallet(t, admin())).id;
    await credit(t, admin(), wallet, 1000);
    const answers = await Promise.all(
      Array.from({ length: 500 }, () => postIdempotent(t, `/api/wallets/${wallet}/credit`, { amount: 1 }, admin())),
    );
    expect(answers.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.text}`)).toEqual([]);
    expect(new Set(answers.map((r) => r.body.balanceAfter)).size).toBe(500);
    expect(await balanceOf(t, admin(), wallet)).toBe(1500);
  });

  it('runs 500 transfers A→B and 500 B→A at once without a deadlock reaching a client', async () => {
    const a = (await createWallet(t, admin())).id;
    const b = (await createWallet(t, admin())).id;
    await credit(t, admin(), a, 10_000);
    await credit(t, admin(), b, 10_000);
    const send = (from: string, to: string, amount: number) =>
      postIdempotent(t, '/api/wallets/transfers', { fromWalletId: from, toWalletId: to, amount }, admin(), randomUUID());
    const requests = [];
    for (let i = 0; i < 500; i++) {
      requests.push(send(a, b, 3));
      requests.push(send(b, a, 7));
    }
    const answers = await Promise.all(requests);
    expect(answers.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.text}`)).toEqual([]);
    const balanceA = await balanceOf(t, admin(), a);
    const balanceB = await balanceOf(t, admin(), b);
    expect(balanceA + balanceB).toBe(20_000);
    expect(balanceA).toBe(10_000 - 500 * 3 + 500 * 7);

    const report = await t.app.get(LedgerReconciler).reconcileTenant(tenant.id);
    expect(report.consistent).toBe(true);
  });

  it('keeps the audit chain whole while 300 transfers and 100 failed sign-ins append to it at once', async () => {
    // Its own tenant: the chain holds exactly what this test wrote.
    const own = await createTenant(t.http);
    const token = own.admin.token;
    // Ten pairs of wallets: transfers on different rows run at once, and meet only at the chain's head.
    const wallets: string[] = [];
    for (let i = 0; i < 20; i++) {
      wallets.push((await createWallet(t, token)).id);
      await credit(t, token, wallets[i], 10_000);
    }
    await t.app.get(AuditService).flush();
    const [before] = await queryAsOwner<{ count: string }>(t, 'SELECT count(*) FROM audit_logs WHERE tenant_id = $1', [own.id]);

    // Transfers append in their own transactions; failed sign-ins go through the buffer, in batches.
    const transfers = Array.from({ length: 300 }, (_, i) => {
      const pair = (i % 10) * 2;
      const [from, to] = i % 20 < 10 ? [wallets[pair], wallets[pair + 1]] : [wallets[pair + 1], wallets[pair]];
      return postIdempotent(t, '/api/wallets/transfers', { fromWalletId: from, toWalletId: to, amount: 5 }, token, randomUUID());
    });
    const failedSignIns = Array.from({ length: 100 }, () =>
      t.http.post('/api/auth/login', { tenant: own.slug, email: own.admin.email, password: 'wrong-password' }),
    );
    const answers = await Promise.all([...transfers, ...failedSignIns]);
    expect(answers.slice(0, 300).filter((r) => r.status !== 201).map((r) => `${r.status} ${r.text}`)).toEqual([]);
    expect(answers.slice(300).map((r) => r.status)).toEqual(Array(100).fill(401));
    await t.app.get(AuditService).flush();

    const events = await queryAsOwner<{ type: string; count: string }>(
      t,
      'SELECT type, count(*) FROM audit_logs WHERE tenant_id = $1 GROUP BY type',
      [own.id],
    );
    const counts = Object.fromEntries(events.map((row) => [row.type, Number(row.count)]));
    expect(counts.WALLET_TRANSFER).toBe(300);
    expect(counts.AUTH_FAILED).toBe(100);
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    expect(total).toBe(Number(before.count) + 400);
    // Every event linked to the one before it, sequence numbers 1..n without a gap or a repeat.
    const verified = await t.http.get('/api/audit-logs/verify', { token });
    expect(verified.body).toEqual({ valid: true, checked: total, firstBrokenId: null });
    const [head] = await queryAsOwner<{ last_seq: string }>(t, 'SELECT last_seq FROM audit_chain_heads WHERE chain_key = $1', [own.id]);
    expect(Number(head.last_seq)).toBe(total);
  });
});
