import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantTable } from './rls';

/**
 * Orders and their lines (a snapshot of sku, name and price at checkout).
 * The indexes serve the keyset pages: the whole tenant (admins) and one
 * buyer (members), each optionally filtered by status.
 */
export class Orders1764000000600 implements MigrationInterface {
  name = 'Orders1764000000600';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE orders (
      id uuid PRIMARY KEY,
      tenant_id uuid NOT NULL REFERENCES tenants(id),
      user_id uuid NOT NULL,
      wallet_id uuid NOT NULL,
      status text NOT NULL CHECK (status IN ('PAID', 'FULFILLED', 'DELIVERED', 'CANCELLED')),
      currency char(3) NOT NULL,
      total bigint NOT NULL CHECK (total >= 0 AND total <= 9007199254740991),
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      updated_at timestamptz(3) NOT NULL DEFAULT now(),
      UNIQUE (tenant_id, id),
      FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id),
      FOREIGN KEY (tenant_id, wallet_id) REFERENCES accounts(tenant_id, id))`);
    await db.query('CREATE INDEX orders_tenant_page ON orders (tenant_id, created_at DESC, id DESC)');
    await db.query('CREATE INDEX orders_tenant_status_page ON orders (tenant_id, status, created_at DESC, id DESC)');
    await db.query('CREATE INDEX orders_buyer_page ON orders (tenant_id, user_id, created_at DESC, id DESC)');
    await db.query('CREATE INDEX orders_buyer_status_page ON orders (tenant_id, user_id, status, created_at DESC, id DESC)');
    for (const sql of tenantTable('orders', 'SELECT, INSERT, UPDATE')) await db.query(sql);

    await db.query(`CREATE TABLE order_items (
      tenant_id uuid NOT NULL,
      order_id uuid NOT NULL,
      position smallint NOT NULL,
      product_id uuid NOT NULL,
      sku text NOT NULL,
      name text NOT NULL,
      unit_price bigint NOT NULL CHECK (unit_price >= 0),
      quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
      line_total bigint NOT NULL CHECK (line_total = unit_price * quantity),
      PRIMARY KEY (order_id, position),
      FOREIGN KEY (tenant_id, order_id) REFERENCES orders(tenant_id, id),
      FOREIGN KEY (tenant_id, product_id) REFERENCES products(tenant_id, id))`);
    for (const sql of tenantTable('order_items', 'SELECT, INSERT')) await db.query(sql);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE order_items');
    await db.query('DROP TABLE orders');
  }
}
