import { Injectable } from '@nestjs/common';
import { KeyedSemaphore } from '../../common/concurrency/keyed-semaphore';
import { DomainError } from '../../common/errors/domain-error';
import { MAX_AMOUNT } from '../../common/validation/money';
import { Tx } from '../../database/unit-of-work';
import { AccountKind, AccountRow, Movement, PostedMovement } from './ledger.types';

/** Transactions of one instance on one account at once: one holds its row lock, the next wait connected. */
const PERMITS_PER_ACCOUNT = 3;

/** The {@link LedgerService.exclusive} key of an account. */
export const accountKey = (accountId: string) => `account:${accountId}`;
/** The key of a tenant's external or revenue accounts (their ids are not known before the transaction). */
export const systemAccountKey = (tenantId: string, kind: Exclude<AccountKind, 'wallet'>) => `${kind}:${tenantId}`;

const label = (account: AccountRow) => (account.kind === 'wallet' ? `wallet ${account.id}` : `${account.kind} account ${account.id}`);

/**
 * The double-entry core, shared by wallets and orders. Every movement is one
 * ledger transaction with two entries summing to zero, inside the caller's
 * database transaction (so the caller's own writes, audit event and
 * idempotency record commit with it). The accounts are locked in id order,
 * so that two movements over the same accounts in opposite directions queue
 * instead of deadlocking. The database applies each entry to its account's
 * balance and refuses an out-of-bounds balance; the checks here only turn
 * that into the answers of API.md.
 */
@Injectable()
export class LedgerService {
  private readonly hotRows = new KeyedSemaphore(PERMITS_PER_ACCOUNT);

  /**
   * Runs `work` (a whole unit of work) once few enough other movements of
   * this instance hold the same accounts, named by {@link accountKey} and
   * {@link systemAccountKey}. A burst on one wallet then queues in memory
   * instead of in the connection pool, where each waiter would hold a
   * connection until the pool ran dry. Database row locks still decide.
   */
  exclusive<T>(keys: string[], work: () => Promise<T>): Promise<T> {
    return this.hotRows.run(keys, work);
  }

  /** The tenant's external (funding) or revenue account of a currency, created when first needed. */
  async systemAccount(tx: Tx, tenantId: string, currency: string, kind: Exclude<AccountKind, 'wallet'>): Promise<string> {
    const find = () =>
      tx.query<{ id: string }>('SELECT id FROM accounts WHERE tenant_id = $1 AND currency = $2 AND kind = $3', [tenantId, currency, kind]);
    const [existing] = await find();
    if (existing) return existing.id;
    const [created] = await tx.query<{ id: string }>(
      `INSERT INTO accounts (tenant_id, kind, currency) VALUES ($1, $3, $2)
       ON CONFLICT (tenant_id, currency, kind) WHERE kind <> 'wallet' DO NOTHING RETURNING id`,
      [tenantId, currency, kind],
    );
    return created?.id ?? (await find())[0].id;
  }

  /** Locks the given accounts (`SELECT ... FOR UPDATE`) in id order; unknown ids are absent from the map. */
  async lockAccounts(tx: Tx, tenantId: string, ids: string[]): Promise<Map<string, AccountRow>> {
    const rows = await tx.query<AccountRow>(
      `SELECT id, kind, user_id, currency, name, balance, created_at FROM accounts
        WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
      [tenantId, [...new Set(ids)]],
    );
    return new Map(rows.map((row) => [row.id, row]));
  }

  /**
   * Moves `amount` from one account to another: 404 for an unknown account,
   * 422 CURRENCY_MISMATCH, INSUFFICIENT_FUNDS (a wallet or revenue account
   * would go below zero) or AMOUNT_TOO_LARGE (it would pass 2^53-1).
   */
  async move(tx: Tx, tenantId: string, movement: Movement): Promise<PostedMovement> {
    const { fromAccountId, toAccountId, amount } = movement;
    if (fromAccountId === toAccountId) {
      throw new DomainError('VALIDATION_FAILED', 'money cannot move from an account to itself');
    }
    const locked = await this.lockAccounts(tx, tenantId, [fromAccountId, toAccountId]);
    const from = locked.get(fromAccountId);
    const to = locked.get(toAccountId);
    if (!from) throw new DomainError('NOT_FOUND', `wallet ${fromAccountId} not found`);
    if (!to) throw new DomainError('NOT_FOUND', `wallet ${toAccountId} not found`);
    if (from.currency !== to.currency) {
      throw new DomainError('CURRENCY_MISMATCH', `${label(from)} holds ${from.currency}, ${label(to)} holds ${to.currency}`);
    }
    if (from.kind !== 'external' && Number(from.balance) < amount) {
      throw new DomainError('INSUFFICIENT_FUNDS', `${label(from)} holds ${from.balance}, ${amount} was asked`);
    }
    if (to.kind !== 'external' && amount > MAX_AMOUNT - Number(to.balance)) {
      throw new DomainError('AMOUNT_TOO_LARGE', `${label(to)} holds ${to.balance}: ${amount} more would pass ${MAX_AMOUNT}`);
    }

    // One round trip while the rows are locked: the transaction and its two entries. The
    // entries' trigger applies them to the balances and stamps balance_after.
    const rows = await tx.query<{ id: string; created_at: Date; account_id: string; balance_after: string }>(
      `WITH t AS (
         INSERT INTO ledger_transactions (tenant_id, type, currency, amount, reference, order_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at),
       e AS (
         INSERT INTO ledger_entries (tenant_id, transaction_id, account_id, currency, amount)
         SELECT $1, t.id, leg.account_id, $3, leg.amount
           FROM t, (VALUES ($8::uuid, $9::bigint, 1), ($10::uuid, $4::bigint, 2)) AS leg(account_id, amount, position)
          ORDER BY leg.position
         RETURNING account_id, balance_after)
       SELECT t.id, t.created_at, e.account_id, e.balance_after FROM t, e`,
      [
        tenantId,
        movement.type,
        from.currency,
        amount,
        movement.reference ?? null,
        movement.orderId ?? null,
        movement.createdBy ?? null,
        from.id,
        -amount,
        to.id,
      ],
    );
    const transaction = rows[0];
    const balanceAfter = (id: string) => Number(rows.find((row) => row.account_id === id)!.balance_after);
    return {
      transactionId: transaction.id,
      type: movement.type,
      currency: from.currency,
      amount,
      reference: movement.reference ?? null,
      orderId: movement.orderId ?? null,
      createdAt: transaction.created_at.toISOString(),
      from: { accountId: from.id, kind: from.kind, balanceAfter: balanceAfter(from.id) },
      to: { accountId: to.id, kind: to.kind, balanceAfter: balanceAfter(to.id) },
    };
  }
}
