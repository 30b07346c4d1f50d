import { Tx } from '../../database/unit-of-work';

export interface CartRow {
  id: string;
  currency: string | null;
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

/**
 * SQL of the cart, shared by the cart service and checkout, always inside
 * the caller's tenant unit of work. Lines carry the product's current price.
 */
export const cartStore = {
  async find(tx: Tx, tenantId: string, userId: string, lock = false): Promise<CartRow | undefined> {
    const [cart] = await tx.query<CartRow>(
      `SELECT id, currency, updated_at FROM carts WHERE tenant_id = $1 AND user_id = $2${lock ? ' FOR UPDATE' : ''}`,
      [tenantId, userId],
    );
    return cart;
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

  /** Records a change: the cart's currency follows its lines (null once empty). */
  async touch(tx: Tx, tenantId: string, cartId: string, currency: string | null): Promise<void> {
    await tx.query('UPDATE carts SET currency = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2', [tenantId, cartId, currency]);
  },

  async empty(tx: Tx, tenantId: string, cartId: string): Promise<void> {
    await tx.query('DELETE FROM cart_items WHERE tenant_id = $1 AND cart_id = $2', [tenantId, cartId]);
    await cartStore.touch(tx, tenantId, cartId, null);
  },
};
