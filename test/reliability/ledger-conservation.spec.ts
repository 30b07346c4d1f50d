import { randomUUID } from 'node:crypto';
import { LedgerReconciler } from '../../src/modules/wallets/ledger-reconciler';
import { queryAsTenant } from '../support/db';
import { createTenant, createUser, TestTenant, TestUser } from '../support/factories';
import { TestResponse } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';
import { createWallet, credit, postIdempotent } from '../support/wallets';

/**
 * Jepsen's bank test over HTTP: concurrent clients move money at random
 * between wallets while others read balances; money is neither created nor
 * destroyed, no balance goes below zero, and the ledger reconciles.
 * BANK_TRANSFERS scales the run (4,000 by default).
 */
const TRANSFERS = Number(process.env.BANK_TRANSFERS ?? 4000);
const CLIENTS = 16;
const WALLETS_PER_TENANT = 20;
const MEMBERS_PER_TENANT = 4;
const FUNDING = 1_000_000;
const TENANT_TOTAL = WALLETS_PER_TENANT * FUNDING;

jest.setTimeout(15 * 60_000);

interface BankWallet {
  id: string;
  owner: TestUser;
  /** Last balance a client saw: used to ask for more than the balance now and then. */
  seen: number;
}

interface Bank {
  tenant: TestTenant;
  wallets: BankWallet[];
  /** What the balances must be, from the transfers the service said it made. */
  expected: Map<string, number>;
}

const randomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];

describe('ledger conservation under concurrent transfers (Jepsen bank test)', () => {
  let t: TestApp;
  const banks: Bank[] = [];
  const statuses = new Map<number, number>();
  const unexpected: string[] = [];
  let succeeded = 0;
  let insufficient = 0;
  let reads = 0;

  const tally = (res: TestResponse, allowed: number[], what: string) => {
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (!allowed.includes(res.status)) unexpected.push(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
  };

  beforeAll(async () => {
    t = await startTestApp();
    for (let i = 0; i < 2; i++) {
      const tenant = await createTenant(t.http);
      const members = await Promise.all(Array.from({ length: MEMBERS_PER_TENANT }, () => createUser(t.http, tenant, 'member')));
      const wallets: BankWallet[] = [];
      for (let w = 0; w < WALLETS_PER_TENANT; w++) {
        const owner = members[w % members.length];
        const { id } = await createWallet(t, owner.token);
        await credit(t, tenant.admin.token, id, FUNDING);
        wallets.push({ id, owner, seen: FUNDING });
      }
      banks.push({ tenant, wallets, expected: new Map(wallets.map((w) => [w.id, FUNDING])) });
    }
  });
  afterAll(() => t.close());

  async function transfer(bank: Bank): Promise<void> {
    const from = pick(bank.wallets);
    let to = pick(bank.wallets);
    while (to === from) to = pick(bank.wallets);
    // One in ten asks for more than the source held when last seen.
    const amount = Math.random() < 0.1 ? from.seen + randomInt(1, 5000) : randomInt(1, 5000);
    // Members move money out of their own wallets; now and then the admin does.
    const token = Math.random() < 0.2 ? bank.tenant.admin.token : from.owner.token;
    const res = await postIdempotent(t, '/api/wallets/transfers', { fromWalletId: from.id, toWalletId: to.id, amount }, token, randomUUID());
    tally(res, [201, 422], 'transfer');
    if (res.status === 201) {
      succeeded++;
      bank.expected.set(from.id, bank.expected.get(from.id)! - amount);
      bank.expected.set(to.id, bank.expected.get(to.id)! + amount);
    } else if (res.status === 422) {
      if (res.body.code === 'INSUFFICIENT_FUNDS') insufficient++;
      else unexpected.push(`transfer: 422 ${res.body.code}`);
    }
  }

  async function read(bank: Bank): Promise<void> {
    reads++;
    if (Math.random() < 0.5) {
      const wallet = pick(bank.wallets);
      const res = await t.http.get(`/api/wallets/${wallet.id}`, { token: wallet.owner.token });
      tally(res, [200], 'read');
      if (res.status === 200) {
        if (res.body.balance < 0) unexpected.push(`wallet ${wallet.id} read ${res.body.balance}`);
        wallet.seen = res.body.balance;
      }
    } else {
      // One statement, one snapshot: transfers conserve the wallets' total at every instant.
      const res = await t.http.get('/api/wallets?limit=100', { token: bank.tenant.admin.token });
      tally(res, [200], 'list');
      if (res.status === 200) {
        const total = res.body.data.reduce((sum: number, w: { balance: number }) => sum + w.balance, 0);
        if (total !== TENANT_TOTAL) unexpected.push(`tenant ${bank.tenant.id} read a total of ${total}`);
      }
    }
  }

  it(`conserves money over ${TRANSFERS} random transfers by ${CLIENTS} clients`, async () => {
    let issued = 0;
    const started = Date.now();
    const client = async () => {
      while (issued < TRANSFERS) {
        const bank = pick(banks);
        if (Math.random() < 0.2) {
          await read(bank);
        } else {
          issued++;
          await transfer(bank);
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(
      `bank test: ${TRANSFERS} transfers (${succeeded} made, ${insufficient} refused for funds) and ${reads} reads in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );

    expect(unexpected).toEqual([]);
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
    expect(succeeded).toBeGreaterThan(TRANSFERS / 2);
    expect(insufficient).toBeGreaterThan(0);

    for (const bank of banks) {
      const { tenant } = bank;
      const list = await t.http.get('/api/wallets?limit=100', { token: tenant.admin.token });
      const balances = new Map<string, number>(list.body.data.map((w: { id: string; balance: number }) => [w.id, w.balance]));
      // Each tenant's money is unchanged, and every wallet holds exactly what the answered transfers say.
      expect([...balances.values()].reduce((a, b) => a + b, 0)).toBe(TENANT_TOTAL);
      expect(Object.fromEntries(balances)).toEqual(Object.fromEntries(bank.expected));
      expect([...balances.values()].every((balance) => balance >= 0)).toBe(true);

      const drift = await queryAsTenant(
        t,
        tenant.id,
        `SELECT a.id FROM accounts a LEFT JOIN ledger_entries e ON e.tenant_id = a.tenant_id AND e.account_id = a.id
          GROUP BY a.id, a.balance HAVING a.balance <> coalesce(sum(e.amount), 0)`,
      );
      expect(drift).toEqual([]);
      const summary = await t.http.get('/api/ledger/summary', { token: tenant.admin.token });
      expect(summary.body).toEqual({
        consistent: true,
        currencies: [{ currency: 'EUR', external: -TENANT_TOTAL, revenue: 0, wallets: TENANT_TOTAL, sum: 0 }],
      });
    }

    const counts = await Promise.all(
      banks.map(async ({ tenant }) => (await queryAsTenant(t, tenant.id, "SELECT count(*)::int AS n FROM ledger_transactions WHERE type = 'transfer'"))[0].n as number),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(succeeded);

    const report = await t.app.get(LedgerReconciler).reconcileAll();
    expect(report.consistent).toBe(true);
    expect(report.tenants.filter((r) => banks.some((b) => b.tenant.id === r.tenantId))).toHaveLength(2);
  });
});
