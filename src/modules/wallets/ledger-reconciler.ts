import { Injectable } from '@nestjs/common';
import { Tx, UnitOfWork } from '../../database/unit-of-work';
import { AccountKind } from './ledger.types';

export interface CurrencyTotals {
  currency: string;
  /** Recomputed from the entries, per kind of account. */
  external: number;
  revenue: number;
  wallets: number;
  /** external + revenue + wallets: zero in a consistent ledger. */
  sum: number;
}

export interface AccountMismatch {
  accountId: string;
  kind: AccountKind;
  currency: string;
  cached: string;
  computed: string;
}

export interface TenantReconciliation {
  tenantId: string;
  consistent: boolean;
  currencies: CurrencyTotals[];
  /** Accounts whose cached balance is not the sum of their entries. */
  mismatchedAccounts: AccountMismatch[];
  /** Wallet or revenue accounts below zero (the CHECK constraint should make this impossible). */
  negativeAccounts: string[];
  /** Ledger transactions whose entries do not sum to zero, or that have fewer than two. */
  unbalancedTransactions: string[];
  /** Entries whose balance_after is not the running sum of their account. */
  brokenRunningBalances: number;
}

export interface LedgerReconciliation {
  consistent: boolean;
  tenants: TenantReconciliation[];
}

interface AccountTotalRow {
  id: string;
  kind: AccountKind;
  currency: string;
  cached: string;
  computed: string;
}

const REPORTED = 100;

/**
 * Recomputes the ledger from its entries and compares: every cached balance
 * against the sum of its entries, every tenant and currency summing to zero,
 * every transaction balanced, every entry's balance_after. Each check is one
 * statement, so it sees one snapshot even while money keeps moving.
 */
@Injectable()
export class LedgerReconciler {
  constructor(private readonly uow: UnitOfWork) {}

  reconcileTenant(tenantId: string): Promise<TenantReconciliation> {
    return this.uow.forTenant(tenantId, (tx) => this.check(tx, tenantId));
  }

  /** Every tenant, one transaction each (so row-level security applies as for requests). */
  async reconcileAll(): Promise<LedgerReconciliation> {
    const tenants = await this.uow.withoutTenant((tx) => tx.query<{ id: string }>('SELECT id FROM tenants ORDER BY created_at, id'));
    const results: TenantReconciliation[] = [];
    for (const { id } of tenants) results.push(await this.reconcileTenant(id));
    return { consistent: results.every((r) => r.consistent), tenants: results };
  }

  private async check(tx: Tx, tenantId: string): Promise<TenantReconciliation> {
    const accounts = await tx.query<AccountTotalRow>(
      `SELECT a.id, a.kind, a.currency, a.balance::text AS cached, coalesce(e.total, 0)::text AS computed
         FROM accounts a
         LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_entries WHERE tenant_id = $1 GROUP BY account_id) e
           ON e.account_id = a.id
        WHERE a.tenant_id = $1`,
      [tenantId],
    );
    const unbalanced = await tx.query<{ id: string }>(
      `SELECT t.id FROM ledger_transactions t
         LEFT JOIN ledger_entries e ON e.tenant_id = t.tenant_id AND e.transaction_id = t.id
        WHERE t.tenant_id = $1
        GROUP BY t.id HAVING coalesce(sum(e.amount), 0) <> 0 OR count(e.id) < 2
        LIMIT ${REPORTED}`,
      [tenantId],
    );
    const [{ broken }] = await tx.query<{ broken: number }>(
      `SELECT count(*)::int AS broken FROM (
         SELECT balance_after, sum(amount) OVER (PARTITION BY account_id ORDER BY seq) AS running
           FROM ledger_entries WHERE tenant_id = $1) r
        WHERE balance_after <> running`,
      [tenantId],
    );

    const byCurrency = new Map<string, { external: bigint; revenue: bigint; wallets: bigint }>();
    const mismatched: AccountMismatch[] = [];
    const negative: string[] = [];
    for (const row of accounts) {
      const computed = BigInt(row.computed);
      const totals = byCurrency.get(row.currency) ?? { external: 0n, revenue: 0n, wallets: 0n };
      if (row.kind === 'external') totals.external += computed;
      else if (row.kind === 'revenue') totals.revenue += computed;
      else totals.wallets += computed;
      byCurrency.set(row.currency, totals);
      if (BigInt(row.cached) !== computed) mismatched.push({ accountId: row.id, kind: row.kind, currency: row.currency, cached: row.cached, computed: row.computed });
      if (row.kind !== 'external' && (BigInt(row.cached) < 0n || computed < 0n)) negative.push(row.id);
    }
    const currencies = [...byCurrency.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, t]) => ({
        currency,
        external: Number(t.external),
        revenue: Number(t.revenue),
        wallets: Number(t.wallets),
        sum: Number(t.external + t.revenue + t.wallets),
      }));
    const consistent =
      currencies.every((c) => c.sum === 0) && mismatched.length === 0 && negative.length === 0 && unbalanced.length === 0 && broken === 0;
    return {
      tenantId,
      consistent,
      currencies,
      mismatchedAccounts: mismatched.slice(0, REPORTED),
      negativeAccounts: negative.slice(0, REPORTED),
      unbalancedTransactions: unbalanced.map((row) => row.id),
      brokenRunningBalances: broken,
    };
  }
}
