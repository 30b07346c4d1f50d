import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantTable } from './rls';

const MAX_BALANCE = '9007199254740991';
const CURRENCY = "CHECK (currency ~ '^[A-Z]{3}$')";

/**
 * The double-entry ledger. PostgreSQL itself keeps what must never break,
 * whatever the application does:
 * - a balance changes only through an entry: a trigger applies each entry to
 *   its account and stamps `balance_after`; the application role cannot
 *   write `accounts.balance` (it may insert accounts without a balance and
 *   rename them, nothing else);
 * - wallet and revenue balances stay within 0..2^53-1 (a CHECK);
 * - entries and transactions are append-only (no UPDATE/DELETE grant, and a
 *   trigger refuses them even to the owner);
 * - every ledger transaction has at least two entries summing to zero,
 *   checked at commit by deferred constraint triggers;
 * - an entry has the currency of its transaction and of its account
 *   (composite foreign keys), so "sums to zero" holds per currency.
 */
export class Ledger1764000000310 implements MigrationInterface {
  name = 'Ledger1764000000310';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE accounts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id uuid NOT NULL REFERENCES tenants(id),
      kind text NOT NULL CHECK (kind IN ('wallet', 'external', 'revenue')),
      user_id uuid,
      currency text NOT NULL ${CURRENCY},
      name text CHECK (name IS NULL OR char_length(name) BETWEEN 1 AND 100),
      balance bigint NOT NULL DEFAULT 0,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      UNIQUE (tenant_id, id),
      UNIQUE (tenant_id, id, currency),
      FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id),
      CONSTRAINT accounts_owner CHECK ((kind = 'wallet') = (user_id IS NOT NULL)),
      CONSTRAINT accounts_balance_bounds CHECK (kind = 'external' OR (balance >= 0 AND balance <= ${MAX_BALANCE})))`);
    // One external and one revenue account per tenant and currency.
    await db.query("CREATE UNIQUE INDEX accounts_system ON accounts (tenant_id, currency, kind) WHERE kind <> 'wallet'");
    await db.query("CREATE INDEX accounts_wallets_page ON accounts (tenant_id, created_at DESC, id DESC) WHERE kind = 'wallet'");
    await db.query(
      "CREATE INDEX accounts_user_wallets_page ON accounts (tenant_id, user_id, created_at DESC, id DESC) WHERE kind = 'wallet'",
    );
    // FOR UPDATE needs an UPDATE grant: `name` is the only column the application may change.
    for (const sql of tenantTable('accounts', 'SELECT, INSERT (tenant_id, kind, user_id, currency, name), UPDATE (name)')) {
      await db.query(sql);
    }

    await db.query(`CREATE TABLE ledger_transactions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id uuid NOT NULL REFERENCES tenants(id),
      type text NOT NULL CHECK (type IN ('credit', 'debit', 'transfer', 'payment', 'refund')),
      currency text NOT NULL ${CURRENCY},
      amount bigint NOT NULL CHECK (amount BETWEEN 1 AND ${MAX_BALANCE}),
      reference text CHECK (reference IS NULL OR char_length(reference) BETWEEN 1 AND 255),
      order_id uuid,
      created_by uuid,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      UNIQUE (tenant_id, id),
      UNIQUE (tenant_id, id, currency))`);
    await db.query('CREATE INDEX ledger_transactions_order ON ledger_transactions (tenant_id, order_id) WHERE order_id IS NOT NULL');
    for (const sql of tenantTable('ledger_transactions', 'SELECT, INSERT')) await db.query(sql);

    // `seq` orders the entries of an account as they were applied (under the account's row lock).
    await db.query(`CREATE TABLE ledger_entries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      tenant_id uuid NOT NULL,
      transaction_id uuid NOT NULL,
      account_id uuid NOT NULL,
      currency text NOT NULL,
      amount bigint NOT NULL CHECK (amount <> 0),
      balance_after bigint NOT NULL,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      UNIQUE (transaction_id, account_id),
      FOREIGN KEY (tenant_id, transaction_id, currency) REFERENCES ledger_transactions(tenant_id, id, currency),
      FOREIGN KEY (tenant_id, account_id, currency) REFERENCES accounts(tenant_id, id, currency))`);
    await db.query('CREATE INDEX ledger_entries_account ON ledger_entries (tenant_id, account_id, seq DESC)');
    for (const sql of tenantTable('ledger_entries', 'SELECT, INSERT (tenant_id, transaction_id, account_id, currency, amount)')) {
      await db.query(sql);
    }

    // Applies an entry to its account's cached balance; the bounds CHECK refuses an overdraft.
    await db.query(`CREATE FUNCTION ledger_apply_entry() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        UPDATE accounts SET balance = balance + NEW.amount
         WHERE tenant_id = NEW.tenant_id AND id = NEW.account_id
         RETURNING balance INTO NEW.balance_after;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'ledger entry for unknown account %', NEW.account_id USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await db.query(`CREATE TRIGGER ledger_entries_apply BEFORE INSERT ON ledger_entries
      FOR EACH ROW EXECUTE FUNCTION ledger_apply_entry()`);

    await db.query(`CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['ledger_entries', 'ledger_transactions']) {
      await db.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`);
      await db.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`);
    }

    // At commit: every ledger transaction has 2+ entries that sum to zero.
    await db.query(`CREATE FUNCTION ledger_check_balanced() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        txid uuid;
        total numeric;
        entries integer;
      BEGIN
        IF TG_TABLE_NAME = 'ledger_entries' THEN txid := NEW.transaction_id; ELSE txid := NEW.id; END IF;
        SELECT coalesce(sum(amount), 0), count(*) INTO total, entries
          FROM ledger_entries WHERE tenant_id = NEW.tenant_id AND transaction_id = txid;
        IF total <> 0 OR entries < 2 THEN
          RAISE EXCEPTION 'ledger transaction % is unbalanced: % entries summing to %', txid, entries, total
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
    for (const table of ['ledger_entries', 'ledger_transactions']) {
      await db.query(`CREATE CONSTRAINT TRIGGER ${table}_balanced AFTER INSERT ON ${table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE ledger_entries');
    await db.query('DROP TABLE ledger_transactions');
    await db.query('DROP TABLE accounts');
    await db.query('DROP FUNCTION ledger_check_balanced()');
    await db.query('DROP FUNCTION ledger_refuse_change()');
    await db.query('DROP FUNCTION ledger_apply_entry()');
  }
}
