import { Tx, UnitOfWork } from '../../src/database/unit-of-work';
import { LedgerReconciler } from '../../src/modules/wallets/ledger-reconciler';
import { runReconciliation } from '../../src/modules/wallets/reconcile-report';
import { queryAsOwner, queryAsTenant } from '../support/db';
import { createTenant, TestTenant } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { balanceOf, createWallet, credit, postIdempotent } from '../support/wallets';

jest.setTimeout(2 * 60_000);

/** What PostgreSQL answered: SQLSTATE and message, from pg or from TypeORM's wrapper. */
async function refusal(work: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await work;
  } catch (error) {
    const e = error as { code?: string; message?: string; driverError?: { code?: string; message?: string } };
    return { code: e.driverError?.code ?? e.code ?? '?', message: e.driverError?.message ?? e.message ?? '' };
  }
  throw new Error('PostgreSQL accepted what it must refuse');
}

/** The ledger's guarantees hold in the database itself, whatever the application code does. */
describe('ledger integrity enforced by PostgreSQL', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let wallet: string;
  let other: string;
  let external: string;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await createTenant(t.http);
    wallet = (await createWallet(t, tenant.admin.token)).id;
    other = (await createWallet(t, tenant.admin.token)).id;
    await credit(t, tenant.admin.token, wallet, 1000);
    [{ id: external }] = await queryAsTenant(t, tenant.id, "SELECT id FROM accounts WHERE kind = 'external'");
  });
  afterAll(() => t.close());

  const asApp = (sql: string, params: unknown[] = []) => queryAsTenant(t, tenant.id, sql, params);
  const reconcile = () => t.app.get(LedgerReconciler).reconcileTenant(tenant.id);

  describe('the application role', () => {
    it.each([
      ['UPDATE ledger_entries SET amount = amount * 2'],
      ['DELETE FROM ledger_entries'],
      ['UPDATE ledger_transactions SET amount = 1'],
      ['DELETE FROM ledger_transactions'],
      ['UPDATE accounts SET balance = balance + 100'],
      ['DELETE FROM accounts'],
    ])('may not run %s', async (sql) => {
      expect((await refusal(asApp(sql))).code).toBe('42501');
    });

    it('may not open an account with a balance', async () => {
      const res = await refusal(
        asApp("INSERT INTO accounts (tenant_id, kind, user_id, currency, balance) VALUES ($1, 'wallet', $2, 'EUR', 1000000)", [
          tenant.id,
          tenant.admin.id,
        ]),
      );
      expect(res.code).toBe('42501');
    });

    it('moves balances only through entries, which the database applies itself', async () => {
      await t.app.get(UnitOfWork).forTenant(tenant.id, async (tx: Tx) => {
        const [{ id }] = await tx.query<{ id: string }>(
          "INSERT INTO ledger_transactions (tenant_id, type, currency, amount) VALUES ($1, 'transfer', 'EUR', 40) RETURNING id",
          [tenant.id],
        );
        await tx.query(
          `INSERT INTO ledger_entries (tenant_id, transaction_id, account_id, currency, amount)
           VALUES ($1, $2, $3, 'EUR', -40), ($1, $2, $4, 'EUR', 40)`,
          [tenant.id, id, wallet, other],
        );
      });
      expect(await balanceOf(t, tenant.admin.token, wallet)).toBe(960);
      expect(await balanceOf(t, tenant.admin.token, other)).toBe(40);
      expect((await reconcile()).consistent).toBe(true);
    });

    it('cannot commit a transaction whose entries do not sum to zero', async () => {
      const uow = t.app.get(UnitOfWork);
      const res = await refusal(
        uow.forTenant(tenant.id, async (tx: Tx) => {
          const [{ id }] = await tx.query<{ id: string }>(
            "INSERT INTO ledger_transactions (tenant_id, type, currency, amount) VALUES ($1, 'credit', 'EUR', 500) RETURNING id",
            [tenant.id],
          );
          await tx.query("INSERT INTO ledger_entries (tenant_id, transaction_id, account_id, currency, amount) VALUES ($1, $2, $3, 'EUR', 500)", [
            tenant.id,
            id,
            wallet,
          ]);
        }),
      );
      expect(res.code).toBe('23514');
      expect(res.message).toContain('unbalanced');
      expect(await balanceOf(t, tenant.admin.token, wallet)).toBe(960);
    });

    it('cannot commit a ledger transaction without entries', async () => {
      const res = await refusal(asApp("INSERT INTO ledger_transactions (tenant_id, type, currency, amount) VALUES ($1, 'credit', 'EUR', 5)", [tenant.id]));
      expect(res.code).toBe('23514');
    });

    it('cannot overdraw a wallet even with balanced entries', async () => {
      const uow = t.app.get(UnitOfWork);
      const res = await refusal(
        uow.forTenant(tenant.id, async (tx: Tx) => {
          const [{ id }] = await tx.query<{ id: string }>(
            "INSERT INTO ledger_transactions (tenant_id, type, currency, amount) VALUES ($1, 'debit', 'EUR', 5000) RETURNING id",
            [tenant.id],
          );
          await tx.query(
            `INSERT INTO ledger_entries (tenant_id, transaction_id, account_id, currency, amount)
             VALUES ($1, $2, $3, 'EUR', -5000), ($1, $2, $4, 'EUR', 5000)`,
            [tenant.id, id, wallet, external],
          );
        }),
      );
      expect(res.code).toBe('23514');
      expect(res.message).toContain('accounts_balance_bounds');
    });

    it('cannot post an entry in another currency than its account', async () => {
      const usd = (await createWallet(t, tenant.admin.token, 'USD')).id;
      const uow = t.app.get(UnitOfWork);
      const res = await refusal(
        uow.forTenant(tenant.id, async (tx: Tx) => {
          const [{ id }] = await tx.query<{ id: string }>(
            "INSERT INTO ledger_transactions (tenant_id, type, currency, amount) VALUES ($1, 'transfer', 'EUR', 1) RETURNING id",
            [tenant.id],
          );
          await tx.query(
            `INSERT INTO ledger_entries (tenant_id, transaction_id, account_id, currency, amount)
             VALUES ($1, $2, $3, 'EUR', -1), ($1, $2, $4, 'EUR', 1)`,
            [tenant.id, id, wallet, usd],
          );
        }),
      );
      expect(res.code).toBe('23503');
    });
  });

  describe('even the owner of the tables', () => {
    it.each([
      ['UPDATE ledger_entries SET amount = amount'],
      ['DELETE FROM ledger_entries'],
      ['DELETE FROM ledger_transactions'],
      ['TRUNCATE ledger_entries, ledger_transactions'],
    ])('is refused %s by the append-only triggers', async (sql) => {
      const res = await refusal(queryAsOwner(t, sql));
      expect(res.message).toContain('append-only');
    });

    it.each([[-1], [9007199254740992]])('cannot set a wallet balance of %d', async (balance) => {
      const res = await refusal(queryAsOwner(t, 'UPDATE accounts SET balance = $1 WHERE id = $2', [balance, wallet]));
      expect(res.code).toBe('23514');
    });
  });

  describe('reconciliation', () => {
    it('finds a balance that does not match its entries, and the command exits 1', async () => {
      expect((await reconcile()).consistent).toBe(true);
      await queryAsOwner(t, 'UPDATE accounts SET balance = balance + 7 WHERE id = $1', [wallet]);
      try {
        const report = await reconcile();
        expect(report.consistent).toBe(false);
        expect(report.mismatchedAccounts).toEqual([{ accountId: wallet, kind: 'wallet', currency: 'EUR', cached: '967', computed: '960' }]);

        const summary = await t.http.get('/api/ledger/summary', { token: tenant.admin.token });
        expect(summary.body.consistent).toBe(false);

        let output = '';
        const code = await runReconciliation(t.app.get(LedgerReconciler), (text) => (output += text));
        expect(code).toBe(1);
        expect(output).toContain(`account ${wallet} (wallet EUR): cached balance 967, entries sum to 960`);
        expect(output).toContain('DIFFERENCES FOUND');
      } finally {
        await queryAsOwner(t, 'UPDATE accounts SET balance = balance - 7 WHERE id = $1', [wallet]);
      }
      let output = '';
      expect(await runReconciliation(t.app.get(LedgerReconciler), (text) => (output += text))).toBe(0);
      expect(output).toContain('the ledger is consistent');
    });
  });

  describe('money and its audit event', () => {
    const moved = (amount: number) =>
      queryAsOwner<{ n: number }>(t, 'SELECT count(*)::int AS n FROM ledger_transactions WHERE tenant_id = $1 AND amount = $2', [tenant.id, amount]).then(
        ([row]) => row.n,
      );

    it('moves no money when the event cannot be written, and both commit together when it can', async () => {
      // The event is written last, just before COMMIT: make exactly that write fail.
      await queryAsOwner(
        t,
        `CREATE FUNCTION refuse_transfer_event() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.type = 'WALLET_TRANSFER' AND (NEW.metadata->>'amount')::bigint = 777 THEN RAISE EXCEPTION 'audit store refused'; END IF;
           RETURN NEW;
         END $$`,
      );
      await queryAsOwner(t, 'CREATE TRIGGER refuse_transfer_event BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION refuse_transfer_event()');
      const before = [await balanceOf(t, tenant.admin.token, wallet), await balanceOf(t, tenant.admin.token, other)];
      try {
        const refused = await postIdempotent(t, '/api/wallets/transfers', { fromWalletId: wallet, toWalletId: other, amount: 777 }, tenant.admin.token);
        expect(refused.status).toBe(500);
        expect(refused.body.code).toBe('INTERNAL_ERROR');
        expect(refused.text).not.toContain('audit store refused');
        expect([await balanceOf(t, tenant.admin.token, wallet), await balanceOf(t, tenant.admin.token, other)]).toEqual(before);
        expect(await moved(777)).toBe(0);
      } finally {
        await queryAsOwner(t, 'DROP TRIGGER refuse_transfer_event ON audit_logs');
        await queryAsOwner(t, 'DROP FUNCTION refuse_transfer_event()');
      }

      const accepted = await postIdempotent(t, '/api/wallets/transfers', { fromWalletId: wallet, toWalletId: other, amount: 777 }, tenant.admin.token);
      expect(accepted.status).toBe(201);
      expect(await moved(777)).toBe(1);
      const events = await queryAsOwner<{ n: number }>(
        t,
        "SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = $1 AND type = 'WALLET_TRANSFER' AND metadata->>'transactionId' = $2",
        [tenant.id, accepted.body.id],
      );
      expect(events[0].n).toBe(1);
      expect((await reconcile()).consistent).toBe(true);
    });
  });
});
