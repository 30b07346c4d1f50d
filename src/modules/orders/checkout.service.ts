import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { MAX_AMOUNT } from '../../common/validation/money';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { Tx, UnitOfWork } from '../../database/unit-of-work';
import { AUDIT_RECORDER, AuditRecorder } from '../audit/audit.types';
import { cartStore } from '../cart/cart.store';
import { ProductRow } from '../catalog/catalog.service';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { accountKey, LedgerService, systemAccountKey } from '../wallets/ledger.service';
import { CheckoutDto, OrderDto } from './dto/order.dto';
import { ORDER_COLUMNS, OrderRow, withItems } from './orders.store';

type LockedProduct = Omit<ProductRow, 'created_at' | 'updated_at'>;

/**
 * Checkout: in one database transaction, lock the cart and its products (in
 * id order), check and take the stock, pay the cart total from the caller's
 * wallet into the tenant's revenue account through the ledger, write the
 * order with a price snapshot, empty the cart, and write the audit event and
 * the idempotency record. Any refusal rolls all of it back.
 */
@Injectable()
export class CheckoutService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly ledger: LedgerService,
    private readonly idempotency: IdempotencyService,
    @Inject(AUDIT_RECORDER) private readonly audit: AuditRecorder,
  ) {}

  checkout(ctx: AuthenticatedContext, input: CheckoutDto): Promise<OrderDto> {
    const { tenantId } = ctx.principal;
    // Every checkout pays into the revenue account: queue them here rather than in the pool.
    const keys = [accountKey(input.walletId), systemAccountKey(tenantId, 'revenue')];
    return this.ledger.exclusive(keys, () => this.uow.forTenant(tenantId, (tx) => this.checkoutIn(tx, ctx, input.walletId)));
  }

  private async checkoutIn(tx: Tx, ctx: AuthenticatedContext, walletId: string): Promise<OrderDto> {
    const { tenantId, userId } = ctx.principal;
    const [wallet] = await tx.query<{ id: string; currency: string }>(
      "SELECT id, currency FROM accounts WHERE tenant_id = $1 AND id = $2 AND kind = 'wallet' AND user_id = $3",
      [tenantId, walletId, userId],
    );
    // The wallet first: an id that names nothing of the caller's is 404 whatever the cart holds.
    if (!wallet) throw new DomainError('NOT_FOUND', `wallet ${walletId} not found`);

    const cart = await cartStore.find(tx, tenantId, userId, true);
    const lines = cart ? await cartStore.lines(tx, tenantId, cart.id) : [];
    if (!cart || lines.length === 0) throw new DomainError('CART_EMPTY', 'the cart is empty');

    const products = await this.lockProducts(tx, tenantId, lines.map((l) => l.product_id));
    const currency = products.get(lines[0].product_id)!.currency;
    if (lines.some((line) => products.get(line.product_id)!.currency !== currency)) {
      throw new DomainError('CURRENCY_MISMATCH', 'the cart holds products priced in different currencies');
    }
    if (wallet.currency !== currency) {
      throw new DomainError('CURRENCY_MISMATCH', `the cart is in ${currency}, wallet ${wallet.id} holds ${wallet.currency}`);
    }
    const short = lines.filter((line) => products.get(line.product_id)!.stock < line.quantity);
    if (short.length) {
      const detail = short.map((l) => `${l.sku}: ${products.get(l.product_id)!.stock} left, ${l.quantity} asked`).join('; ');
      throw new DomainError('OUT_OF_STOCK', detail);
    }
    const priced = lines.map((line) => {
      const product = products.get(line.product_id)!;
      return { product, quantity: line.quantity, lineTotal: BigInt(product.unit_price) * BigInt(line.quantity) };
    });
    const total = priced.reduce((sum, line) => sum + line.lineTotal, 0n);
    if (total > BigInt(MAX_AMOUNT)) throw new DomainError('AMOUNT_TOO_LARGE', `the cart total passes ${MAX_AMOUNT}`);

    const orderId = randomUUID();
    const [order] = await tx.query<OrderRow>(
      `INSERT INTO orders (id, tenant_id, user_id, wallet_id, status, currency, total)
       VALUES ($1, $2, $3, $4, 'PAID', $5, $6) RETURNING ${ORDER_COLUMNS}`,
      [orderId, tenantId, userId, wallet.id, currency, total.toString()],
    );
    if (total > 0n) {
      const revenue = await this.ledger.systemAccount(tx, tenantId, currency, 'revenue');
      await this.ledger.move(tx, tenantId, {
        type: 'payment',
        fromAccountId: wallet.id,
        toAccountId: revenue,
        amount: Number(total),
        orderId,
        createdBy: userId,
      });
    }
    await tx.query(
      `UPDATE products p SET stock = p.stock - l.quantity, updated_at = now()
         FROM unnest($2::uuid[], $3::int[]) AS l(id, quantity)
        WHERE p.tenant_id = $1 AND p.id = l.id`,
      [tenantId, priced.map((l) => l.product.id), priced.map((l) => l.quantity)],
    );
    await tx.query(
      `INSERT INTO order_items (tenant_id, order_id, position, product_id, sku, name, unit_price, quantity, line_total)
       SELECT $1, $2, l.position, l.product_id, l.sku, l.name, l.unit_price, l.quantity, l.unit_price * l.quantity
         FROM unnest($3::int[], $4::uuid[], $5::text[], $6::text[], $7::bigint[], $8::int[])
           AS l(position, product_id, sku, name, unit_price, quantity)`,
      [
        tenantId,
        orderId,
        priced.map((_, i) => i + 1),
        priced.map((l) => l.product.id),
        priced.map((l) => l.product.sku),
        priced.map((l) => l.product.name),
        priced.map((l) => l.product.unit_price),
        priced.map((l) => l.quantity),
      ],
    );
    await cartStore.empty(tx, tenantId, cart.id);
    this.audit.recordInTransaction(tx, {
      type: 'ORDER_CREATE',
      resourceType: 'order',
      resourceId: orderId,
      metadata: { walletId: wallet.id, total: Number(total), currency, lines: priced.length },
    });
    const [result] = await withItems(tx, tenantId, [order]);
    await this.idempotency.completeInTransaction(tx, ctx, result);
    return result;
  }

  /** Locks the products in id order, so two checkouts over the same products queue instead of deadlocking. */
  private async lockProducts(tx: Tx, tenantId: string, ids: string[]): Promise<Map<string, LockedProduct>> {
    const rows = await tx.query<LockedProduct>(
      `SELECT id, sku, name, unit_price, currency, stock FROM products
        WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
      [tenantId, ids],
    );
    return new Map(rows.map((row) => [row.id, row]));
  }
}
