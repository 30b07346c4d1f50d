export type AccountKind = 'wallet' | 'external' | 'revenue';
export type LedgerTransactionType = 'credit' | 'debit' | 'transfer' | 'payment' | 'refund';

/** An `accounts` row as PostgreSQL returns it (bigint as text). */
export interface AccountRow {
  id: string;
  kind: AccountKind;
  user_id: string | null;
  currency: string;
  name: string | null;
  balance: string;
  created_at: Date;
}

/** One movement of money between two accounts of one tenant and currency. */
export interface Movement {
  type: LedgerTransactionType;
  fromAccountId: string;
  toAccountId: string;
  amount: number;
  reference?: string | null;
  orderId?: string | null;
  /** The user who asked for it. */
  createdBy?: string | null;
}

export interface PostedLeg {
  accountId: string;
  kind: AccountKind;
  balanceAfter: number;
}

/** A committed-to-be ledger transaction: its id and both legs after they applied. */
export interface PostedMovement {
  transactionId: string;
  type: LedgerTransactionType;
  currency: string;
  amount: number;
  reference: string | null;
  orderId: string | null;
  createdAt: string;
  from: PostedLeg;
  to: PostedLeg;
}
