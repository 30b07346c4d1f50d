import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { CursorCodec } from '../../common/pagination/cursor';
import { keysetCondition, Page, PageQueryDto, toPage } from '../../common/pagination/page';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { Tx, UnitOfWork } from '../../database/unit-of-work';
import { AUDIT_RECORDER, AuditRecorder } from '../audit/audit.types';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { AmountDto, CreateTransferDto, TransferResponseDto } from './dto/movement.dto';
import { CreateWalletDto, WalletListQueryDto, WalletResponseDto, WalletTransactionDto } from './dto/wallet.dto';
import { accountKey, LedgerService, systemAccountKey } from './ledger.service';
import { PostedMovement } from './ledger.types';

interface WalletRow {
  id: string;
  user_id: string;
  currency: string;
  name: string | null;
  balance: string;
  created_at: Date;
}

interface EntryRow {
  id: string;
  type: string;
  amount: string;
  balance_after: string;
  counterparty: string | null;
  order_id: string | null;
  reference: string | null;
  created_at: Date;
}

const WALLET_COLUMNS = 'id, user_id, currency, name, balance, created_at';

const toWallet = (row: WalletRow): WalletResponseDto => ({
  id: row.id,
  userId: row.user_id,
  currency: row.currency,
  name: row.name,
  balance: Number(row.balance),
  createdAt: row.created_at.toISOString(),
});

const toTransaction = (row: EntryRow): WalletTransactionDto => ({
  id: row.id,
  type: row.type,
  amount: Math.abs(Number(row.amount)),
  direction: Number(row.amount) > 0 ? 'credit' : 'debit',
  balanceAfter: Number(row.balance_after),
  counterpartyWalletId: row.counterparty,
  orderId: row.order_id,
  reference: row.reference,
  createdAt: row.created_at.toISOString(),
});

/** The wallet's side of a movement, in the shape of its transaction list. */
function walletEntry(posted: PostedMovement, walletId: string): WalletTransactionDto {
  const incoming = posted.to.accountId === walletId;
  const [own, other] = incoming ? [posted.to, posted.from] : [posted.from, posted.to];
  return {
    id: posted.transactionId,
    type: posted.type,
    amount: posted.amount,
    direction: incoming ? 'credit' : 'debit',
    balanceAfter: own.balanceAfter,
    counterpartyWalletId: other.kind === 'wallet' ? other.accountId : null,
    orderId: posted.orderId,
    reference: posted.reference,
    createdAt: posted.createdAt,
  };
}

const walletNotFound = (id: string) => new DomainError('NOT_FOUND', `wallet ${id} not found`);

/**
 * Wallets over the ledger. A member sees and spends only their own wallets
 * (anyone else's is 404, as if it did not exist); an admin sees the whole
 * tenant. Every movement, its audit event and its idempotency record commit
 * in one transaction.
 */
@Injectable()
export class WalletsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly ledger: LedgerService,
    private readonly cursors: CursorCodec,
    private readonly idempotency: IdempotencyService,
    @Inject(AUDIT_RECORDER) private readonly audit: AuditRecorder,
  ) {}

  create(ctx: AuthenticatedContext, input: CreateWalletDto): Promise<WalletResponseDto> {
    const { tenantId, userId } = ctx.principal;
    return this.uow.forTenant(tenantId, async (tx) => {
      const [row] = await tx.query<WalletRow>(
        `INSERT INTO accounts (tenant_id, kind, user_id, currency, name) VALUES ($1, 'wallet', $2, $3, $4) RETURNING ${WALLET_COLUMNS}`,
        [tenantId, userId, input.currency, input.name ?? null],
      );
      this.audit.recordInTransaction(tx, {
        type: 'WALLET_CREATE',
        resourceType: 'wallet',
        resourceId: row.id,
        metadata: { currency: row.currency },
      });
      return toWallet(row);
    });
  }

  async list(ctx: AuthenticatedContext, query: WalletListQueryDto): Promise<Page<WalletResponseDto>> {
    const { tenantId, userId, role } = ctx.principal;
    if (role !== 'admin' && query.userId !== undefined) {
      throw new DomainError('FORBIDDEN', 'only an admin may list the wallets of another user');
    }
    const owner = role === 'admin' ? (query.userId?.toLowerCase() ?? null) : userId;
    const limit = query.limit ?? 20;
    const cursors = this.cursors.forList(`wallets:${tenantId}`);
    const after = keysetCondition(cursors, query.cursor, 4);
    const page = `SELECT ${WALLET_COLUMNS} FROM accounts
       WHERE tenant_id = $1 AND kind = 'wallet' AND ($3::uuid IS NULL OR user_id = $3::uuid) AND ${after.sql}
       ORDER BY created_at DESC, id DESC LIMIT $2`;
    const params = [tenantId, limit + 1, owner, ...after.params];
    if (query.userId === undefined || role !== 'admin') {
      return toPage(await this.uow.readOnce<WalletRow>(tenantId, page, params), limit, cursors, toWallet);
    }
    return this.uow.readForTenant(tenantId, async (tx) => {
      // A filter naming nobody of this tenant is an unknown id: 404, as everywhere else.
      const [known] = await tx.query('SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2', [tenantId, owner]);
      if (!known) throw new DomainError('NOT_FOUND', `user ${query.userId} not found`);
      return toPage(await tx.query<WalletRow>(page, params), limit, cursors, toWallet);
    });
  }

  get(ctx: AuthenticatedContext, walletId: string): Promise<WalletResponseDto> {
    return this.uow.forTenant(ctx.principal.tenantId, async (tx) => toWallet(await this.visibleWallet(tx, ctx, walletId)));
  }

  /** The wallet's entries, newest first, in the order they were applied. */
  transactions(ctx: AuthenticatedContext, walletId: string, query: PageQueryDto): Promise<Page<WalletTransactionDto>> {
    const { tenantId } = ctx.principal;
    const limit = query.limit ?? 20;
    // The cursor names the last transaction seen; the page resumes below its entry.
    const cursors = this.cursors.forList(`wallet-transactions:${walletId.toLowerCase()}`);
    const after = query.cursor ? cursors.decode(query.cursor).id : null;
    return this.uow.forTenant(tenantId, async (tx) => {
      await this.visibleWallet(tx, ctx, walletId);
      const rows = await tx.query<EntryRow>(
        `SELECT e.transaction_id AS id, t.type, e.amount, e.balance_after, t.reference, t.order_id, e.created_at,
                counterparty.account_id AS counterparty
           FROM ledger_entries e
           JOIN ledger_transactions t ON t.tenant_id = e.tenant_id AND t.id = e.transaction_id
           LEFT JOIN LATERAL (
             SELECT o.account_id FROM ledger_entries o
               JOIN accounts a ON a.tenant_id = o.tenant_id AND a.id = o.account_id AND a.kind = 'wallet'
              WHERE o.tenant_id = e.tenant_id AND o.transaction_id = e.transaction_id AND o.account_id <> e.account_id
              LIMIT 1) counterparty ON TRUE
          WHERE e.tenant_id = $1 AND e.account_id = $2
            AND ($4::uuid IS NULL OR e.seq < (SELECT c.seq FROM ledger_entries c
                                               WHERE c.tenant_id = $1 AND c.account_id = $2 AND c.transaction_id = $4::uuid))
          ORDER BY e.seq DESC LIMIT $3`,
        [tenantId, walletId, limit + 1, after],
      );
      return toPage(rows, limit, cursors, toTransaction);
    });
  }

  /** Funds a wallet from the tenant's external account (admin). */
  credit(ctx: AuthenticatedContext, walletId: string, input: AmountDto): Promise<WalletTransactionDto> {
    return this.moveExternal(ctx, walletId, input, 'credit');
  }

  /** Takes money out of a wallet to the tenant's external account (admin). */
  debit(ctx: AuthenticatedContext, walletId: string, input: AmountDto): Promise<WalletTransactionDto> {
    return this.moveExternal(ctx, walletId, input, 'debit');
  }

  /** Between two wallets of the tenant: from the caller's own wallet, or any wallet for an admin. */
  transfer(ctx: AuthenticatedContext, input: CreateTransferDto): Promise<TransferResponseDto> {
    const keys = [accountKey(input.fromWalletId), accountKey(input.toWalletId)];
    return this.ledger.exclusive(keys, () => this.uow.forTenant(ctx.principal.tenantId, (tx) => this.transferIn(tx, ctx, input)));
  }

  private async transferIn(tx: Tx, ctx: AuthenticatedContext, input: CreateTransferDto): Promise<TransferResponseDto> {
    const { tenantId, userId } = ctx.principal;
    const wallets = await tx.query<WalletRow>(
      `SELECT ${WALLET_COLUMNS} FROM accounts WHERE tenant_id = $1 AND kind = 'wallet' AND id = ANY($2::uuid[])`,
      [tenantId, [input.fromWalletId, input.toWalletId]],
    );
    const from = wallets.find((w) => w.id === input.fromWalletId);
    const to = wallets.find((w) => w.id === input.toWalletId);
    if (!from || !this.canSee(ctx, from)) throw walletNotFound(input.fromWalletId);
    if (!to) throw walletNotFound(input.toWalletId);
    const posted = await this.ledger.move(tx, tenantId, {
      type: 'transfer',
      fromAccountId: from.id,
      toAccountId: to.id,
      amount: input.amount,
      reference: input.reference,
      createdBy: userId,
    });
    this.audit.recordInTransaction(tx, {
      type: 'WALLET_TRANSFER',
      resourceType: 'wallet',
      resourceId: from.id,
      metadata: { transactionId: posted.transactionId, toWalletId: to.id, amount: posted.amount, currency: posted.currency },
    });
    const result: TransferResponseDto = {
      id: posted.transactionId,
      fromWalletId: from.id,
      toWalletId: to.id,
      amount: posted.amount,
      currency: posted.currency,
      createdAt: posted.createdAt,
    };
    await this.idempotency.completeInTransaction(tx, ctx, result);
    return result;
  }

  private moveExternal(
    ctx: AuthenticatedContext,
    walletId: string,
    input: AmountDto,
    type: 'credit' | 'debit',
  ): Promise<WalletTransactionDto> {
    const { tenantId } = ctx.principal;
    const keys = [accountKey(walletId), systemAccountKey(tenantId, 'external')];
    return this.ledger.exclusive(keys, () => this.uow.forTenant(tenantId, (tx) => this.moveExternalIn(tx, ctx, walletId, input, type)));
  }

  private async moveExternalIn(
    tx: Tx,
    ctx: AuthenticatedContext,
    walletId: string,
    input: AmountDto,
    type: 'credit' | 'debit',
  ): Promise<WalletTransactionDto> {
    const { tenantId, userId } = ctx.principal;
    const wallet = await this.visibleWallet(tx, ctx, walletId);
    const external = await this.ledger.systemAccount(tx, tenantId, wallet.currency, 'external');
    const [fromAccountId, toAccountId] = type === 'credit' ? [external, wallet.id] : [wallet.id, external];
    const posted = await this.ledger.move(tx, tenantId, {
      type,
      fromAccountId,
      toAccountId,
      amount: input.amount,
      reference: input.reference,
      createdBy: userId,
    });
    const entry = walletEntry(posted, wallet.id);
    this.audit.recordInTransaction(tx, {
      type: type === 'credit' ? 'WALLET_CREDIT' : 'WALLET_DEBIT',
      resourceType: 'wallet',
      resourceId: wallet.id,
      metadata: { transactionId: posted.transactionId, amount: posted.amount, currency: posted.currency, balanceAfter: entry.balanceAfter },
    });
    await this.idempotency.completeInTransaction(tx, ctx, entry);
    return entry;
  }

  private canSee(ctx: AuthenticatedContext, wallet: WalletRow): boolean {
    return ctx.principal.role === 'admin' || wallet.user_id === ctx.principal.userId;
  }

  private async visibleWallet(tx: Tx, ctx: AuthenticatedContext, walletId: string): Promise<WalletRow> {
    const [row] = await tx.query<WalletRow>(
      `SELECT ${WALLET_COLUMNS} FROM accounts WHERE tenant_id = $1 AND id = $2 AND kind = 'wallet'`,
      [ctx.principal.tenantId, walletId],
    );
    if (!row || !this.canSee(ctx, row)) throw walletNotFound(walletId);
    return row;
  }
}
