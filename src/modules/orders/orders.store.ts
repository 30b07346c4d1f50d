import { Tx } from '../../database/unit-of-work';
import { OrderDto, OrderStatus } from './dto/order.dto';

export interface OrderRow {
  id: string;
  user_id: string;
  wallet_id: string;
  status: OrderStatus;
  currency: string;
  total: string;
  created_at: Date;
  updated_at: Date;
}

interface OrderItemRow {
  order_id: string;
  product_id: string;
  sku: string;
  name: string;
  unit_price: string;
  quantity: number;
  line_total: string;
}

export const ORDER_COLUMNS = 'id, user_id, wallet_id, status, currency, total, created_at, updated_at';

/**
 * An order's lines as one JSON column of the order's own row, for the read
 * paths: a page of orders in one statement. Amounts stay text, as in the
 * order_items rows, so the API's numbers come out the same either way.
 */
const ITEMS_AS_JSON = `(SELECT coalesce(json_agg(json_build_object(
    'order_id', i.order_id, 'product_id', i.product_id, 'sku', i.sku, 'name', i.name,
    'unit_price', i.unit_price::text, 'quantity', i.quantity, 'line_total', i.line_total::text) ORDER BY i.position), '[]')
  FROM order_items i WHERE i.tenant_id = orders.tenant_id AND i.order_id = orders.id) AS items`;

/** Columns of `SELECT … FROM orders` that {@link fromRowWithItems} turns into an order with its lines. */
export const ORDER_WITH_ITEMS_COLUMNS = `${ORDER_COLUMNS}, ${ITEMS_AS_JSON}`;

export type OrderRowWithItems = OrderRow & { items: OrderItemRow[] };

export const fromRowWithItems = (row: OrderRowWithItems): OrderDto => toOrder(row, row.items);

/** Orders with their lines, in the shape of API.md; two queries whatever the page size. */
export async function withItems(tx: Tx, tenantId: string, orders: OrderRow[]): Promise<OrderDto[]> {
  if (orders.length === 0) return [];
  const items = await tx.query<OrderItemRow>(
    `SELECT order_id, product_id, sku, name, unit_price, quantity, line_total FROM order_items
      WHERE tenant_id = $1 AND order_id = ANY($2::uuid[]) ORDER BY order_id, position`,
    [tenantId, orders.map((o) => o.id)],
  );
  const byOrder = new Map<string, OrderItemRow[]>();
  for (const item of items) byOrder.set(item.order_id, [...(byOrder.get(item.order_id) ?? []), item]);
  return orders.map((order) => toOrder(order, byOrder.get(order.id) ?? []));
}

function toOrder(order: OrderRow, items: OrderItemRow[]): OrderDto {
  return {
    id: order.id,
    userId: order.user_id,
    status: order.status,
    currency: order.currency,
    total: Number(order.total),
    walletId: order.wallet_id,
    items: items.map((item) => ({
      productId: item.product_id,
      sku: item.sku,
      name: item.name,
      unitPrice: Number(item.unit_price),
      quantity: item.quantity,
      lineTotal: Number(item.line_total),
    })),
    createdAt: order.created_at.toISOString(),
    updatedAt: order.updated_at.toISOString(),
  };
}
