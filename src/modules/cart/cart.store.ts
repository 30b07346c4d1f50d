import { Tx } from '../../database/unit-of-work';

/** A cart; its currency is its lines' (their products'), never stored apart from them. */
export interface CartRow {
  id: string;
  updated_at: Date;
}

export interface CartLineRow {
  product_id: string;
  sku: string;
  name: string;
  unit_price: string;
  currency: string;
  quantity: number;
}

export interface CartWithLines {
  cart: CartRow;
  lines: CartLineRow[];
}

export type CartWithLinesRow = CartRow & { [K in keyof CartLineRow as `line_${K}`]: CartLineRow[K] | null };

/** A user's cart and its lines in one statement ($1 tenant, $2 user): a row per line, or one with null lines. */
export const CART_WITH_LINES = `SELECT c.id, c.updated_at, ci.product_id AS line_product_id, p.sku AS line_sku,
       p.name AS line_name, p.unit_price AS line_unit_price, p.currency AS line_currency, ci.quantity AS line_quantity
  FROM carts c
  LEFT JOIN (cart_items ci JOIN products p ON p.tenant_id = ci.tenant_id AND p.id = ci.product_id)
         ON ci.tenant_id = c.tenant_id AND ci.cart_id = c.id
 WHERE c.tenant_id = $1 AND c.user_id = $2
 ORDER BY ci.added_at, ci.product_id`;

/** The rows of {@link CART_WITH_LINES} as a cart and its lines; undefined when the user has no cart yet. */
export function cartFromRows(rows: CartWithLinesRow[]): CartWithLines | undefined {
  if (rows.length === 0) return undefined;
  const { id, updated_at } = rows[0];
  const lines = rows
    .filter((row) => row.line_product_id !== null)
    .map((row) => ({
      product_id: row.line_product_id!,
      sku: row.line_sku!,
      name: row.line_name!,
      unit_price: row.line_unit_price!,
      currency: row.line_currency!,
      quantity: row.line_quantity!,
    }));
  return { cart: { id, updated_at }, lines };
}

/**
 * SQL of the cart, shared by the cart service and checkout, always inside
 * the caller's tenant unit of work. Lines carry the product's current price.
 */
export const cartStore = {
  async find(tx: Tx, tenantId: string, userId: string, lock = false): Promise<CartRow | undefined> {
    const [cart] = await tx.query<CartRow>(
      `SELECT id, updated_at FROM carts WHERE tenant_id = $1 AND user_id = $2${lock ? ' FOR UPDATE' : ''}`,
      [tenantId, userId],
    );
    return cart;
  },

  /** The cart and its lines (one statement, see {@link CART_WITH_LINES}). */
  async read(tx: Tx, tenantId: string, userId: string): Promise<CartWithLines | undefined> {
    return cartFromRows(await tx.query<CartWithLinesRow>(CART_WITH_LINES, [tenantId, userId]));
  },

  /** The user's cart, created when missing, locked for the rest of the transaction. */
  async lockOrCreate(tx: Tx, tenantId: string, userId: string): Promise<CartRow> {
    await tx.query('INSERT INTO carts (tenant_id, user_id) VALUES ($1, $2) ON CONFLICT (tenant_id, user_id) DO NOTHING', [tenantId, userId]);
    return (await cartStore.find(tx, tenantId, userId, true))!;
  },

  lines(tx: Tx, tenantId: string, cartId: string): Promise<CartLineRow[]> {
    return tx.query<CartLineRow>(
      `SELECT ci.product_id, p.sku, p.name, p.unit_price, p.currency, ci.quantity
         FROM cart_items ci JOIN products p ON p.tenant_id = ci.tenant_id AND p.id = ci.product_id
        WHERE ci.tenant_id = $1 AND ci.cart_id = $2
        ORDER BY ci.added_at, ci.product_id`,
      [tenantId, cartId],
    );
  },

  /** Records a change (updatedAt). */
  async touch(tx: Tx, tenantId: string, cartId: string): Promise<void> {
    await tx.query('UPDATE carts SET updated_at = now() WHERE tenant_id = $1 AND id = $2', [tenantId, cartId]);
  },

  async empty(tx: Tx, tenantId: string, cartId: string): Promise<void> {
    await tx.query('DELETE FROM cart_items WHERE tenant_id = $1 AND cart_id = $2', [tenantId, cartId]);
    await cartStore.touch(tx, tenantId, cartId);
  },
};
