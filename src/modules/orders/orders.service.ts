import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { CursorCodec } from '../../common/pagination/cursor';
import { keysetCondition, Page, toPage } from '../../common/pagination/page';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { Tx, UnitOfWork } from '../../database/unit-of-work';
import { AUDIT_RECORDER, AuditRecorder } from '../audit/audit.types';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { accountKey, LedgerService, systemAccountKey } from '../wallets/ledger.service';
import { OrderDto, OrderQueryDto, OrderStatus } from './dto/order.dto';
import { assertCancellable, assertStatusChange } from './order-status';
import { fromRowWithItems, ORDER_COLUMNS, ORDER_WITH_ITEMS_COLUMNS, OrderRow, OrderRowWithItems, withItems } from './orders.store';

const orderNotFound = (id: string) => new DomainError('NOT_FOUND', `order ${id} not found`);

/** Reading orders, moving them along their status machine, and cancelling them with a refund. */
@Injectable()
export class OrdersService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly ledger: LedgerService,
    private readonly idempotency: IdempotencyService,
    private readonly cursors: CursorCodec,
    @Inject(AUDIT_RECORDER) private readonly audit: AuditRecorder,
  ) {}

  /** Members see their own orders; admins the whole tenant's. Newest first. */
  async list(ctx: AuthenticatedContext, query: OrderQueryDto): Promise<Page<OrderDto>> {
    const { tenantId, userId, role } = ctx.principal;
    const limit = query.limit ?? 20;
    const conditions = ['tenant_id = $1'];
    const params: unknown[] = [tenantId, limit + 1];
    if (role !== 'admin') conditions.push(`user_id = $${params.push(userId)}`);
    if (query.status) conditions.push(`status = $${params.push(query.status)}`);
    const cursors = this.cursors.forList(`orders:${tenantId}`);
    const after = keysetCondition(cursors, query.cursor, params.length + 1);
    params.push(...after.params);
    conditions.push(after.sql);
    const rows = await this.uow.readOnce<OrderRowWithItems>(
      tenantId,
      `SELECT ${ORDER_WITH_ITEMS_COLUMNS} FROM orders WHERE ${conditions.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
    return toPage(rows, limit, cursors, fromRowWithItems);
  }

  get(ctx: AuthenticatedContext, id: string): Promise<OrderDto> {
    return this.uow.forTenant(ctx.principal.tenantId, async (tx) => {
      const [order] = await withItems(tx, ctx.principal.tenantId, [await this.visibleOrder(tx, ctx, id)]);
      return order;
    });
  }

  /** PAID → FULFILLED → DELIVERED (admin). */
  updateStatus(ctx: AuthenticatedContext, id: string, status: OrderStatus): Promise<OrderDto> {
    const { tenantId } = ctx.principal;
    return this.uow.forTenant(tenantId, async (tx) => {
      const order = await this.visibleOrder(tx, ctx, id, true);
      assertStatusChange(order.status, status);
      const [updated] = await tx.query<OrderRow>(
        `UPDATE orders SET status = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${ORDER_COLUMNS}`,
        [tenantId, id, status],
      );
      this.audit.recordInTransaction(tx, {
        type: 'ORDER_STATUS_CHANGE',
        resourceType: 'order',
        resourceId: id,
        metadata: { from: order.status, to: status },
      });
      return (await withItems(tx, tenantId, [updated]))[0];
    });
  }

  /** Refunds the total to the order's wallet and restores the stock; PAID orders only (buyer or admin). */
  async cancel(ctx: AuthenticatedContext, id: string): Promise<OrderDto> {
    const { tenantId } = ctx.principal;
    const [known] = await this.uow.forTenant(tenantId, (tx) =>
      tx.query<{ wallet_id: string }>('SELECT wallet_id FROM orders WHERE tenant_id = $1 AND id = $2', [tenantId, id]),
    );
    const keys = known ? [accountKey(known.wallet_id), systemAccountKey(tenantId, 'revenue')] : [];
    return this.ledger.exclusive(keys, () => this.uow.forTenant(tenantId, (tx) => this.cancelIn(tx, ctx, id)));
  }

  private async cancelIn(tx: Tx, ctx: AuthenticatedContext, id: string): Promise<OrderDto> {
    const { tenantId, userId } = ctx.principal;
    const order = await this.visibleOrder(tx, ctx, id, true);
    assertCancellable(order.status);
    const total = Number(order.total);
    if (total > 0) {
      const revenue = await this.ledger.systemAccount(tx, tenantId, order.currency, 'revenue');
      await this.ledger.move(tx, tenantId, {
        type: 'refund',
        fromAccountId: revenue,
        toAccountId: order.wallet_id,
        amount: total,
        orderId: order.id,
        createdBy: userId,
      });
    }
    await tx.query(
      `UPDATE products p SET stock = p.stock + i.quantity, updated_at = now()
         FROM order_items i WHERE i.tenant_id = $1 AND i.order_id = $2 AND p.tenant_id = i.tenant_id AND p.id = i.product_id`,
      [tenantId, order.id],
    );
    const [cancelled] = await tx.query<OrderRow>(
      `UPDATE orders SET status = 'CANCELLED', updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${ORDER_COLUMNS}`,
      [tenantId, order.id],
    );
    this.audit.recordInTransaction(tx, {
      type: 'ORDER_CANCEL',
      resourceType: 'order',
      resourceId: order.id,
      metadata: { refunded: total, currency: order.currency, walletId: order.wallet_id },
    });
    const [result] = await withItems(tx, tenantId, [cancelled]);
    await this.idempotency.completeInTransaction(tx, ctx, result);
    return result;
  }

  /** An order of the tenant that the caller may see (members: their own), else 404. */
  private async visibleOrder(tx: Tx, ctx: AuthenticatedContext, id: string, lock = false): Promise<OrderRow> {
    const { tenantId, userId, role } = ctx.principal;
    const [order] = await tx.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`,
      [tenantId, id],
    );
    if (!order || (role !== 'admin' && order.user_id !== userId)) throw orderNotFound(id);
    return order;
  }
}
