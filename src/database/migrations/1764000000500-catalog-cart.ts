import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantTable } from './rls';

/** Products, and one cart per user with its lines. */
export class CatalogCart1764000000500 implements MigrationInterface {
  name = 'CatalogCart1764000000500';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE products (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id uuid NOT NULL REFERENCES tenants(id),
      sku text NOT NULL,
      name text NOT NULL,
      unit_price bigint NOT NULL CHECK (unit_price >= 0 AND unit_price <= 9007199254740991),
      currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      stock integer NOT NULL CHECK (stock >= 0 AND stock <= 1000000000),
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      updated_at timestamptz(3) NOT NULL DEFAULT now(),
      UNIQUE (tenant_id, id),
      UNIQUE (tenant_id, sku))`);
    await db.query('CREATE INDEX products_page ON products (tenant_id, created_at DESC, id DESC)');
    for (const sql of tenantTable('products', 'SELECT, INSERT, UPDATE')) await db.query(sql);

    await db.query(`CREATE TABLE carts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id uuid NOT NULL,
      user_id uuid NOT NULL,
      currency char(3),
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      updated_at timestamptz(3) NOT NULL DEFAULT now(),
      UNIQUE (tenant_id, id),
      UNIQUE (tenant_id, user_id),
      FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id))`);
    for (const sql of tenantTable('carts', 'SELECT, INSERT, UPDATE')) await db.query(sql);

    await db.query(`CREATE TABLE cart_items (
      tenant_id uuid NOT NULL,
      cart_id uuid NOT NULL,
      product_id uuid NOT NULL,
      quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
      added_at timestamptz(3) NOT NULL DEFAULT now(),
      PRIMARY KEY (cart_id, product_id),
      FOREIGN KEY (tenant_id, cart_id) REFERENCES carts(tenant_id, id),
      FOREIGN KEY (tenant_id, product_id) REFERENCES products(tenant_id, id))`);
    for (const sql of tenantTable('cart_items')) await db.query(sql);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE cart_items');
    await db.query('DROP TABLE carts');
    await db.query('DROP TABLE products');
  }
}
