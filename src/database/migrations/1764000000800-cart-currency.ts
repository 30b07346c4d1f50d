import { MigrationInterface, QueryRunner } from 'typeorm';

/** A cart's currency is its lines' (their products'): the stored copy could only disagree with them. */
export class CartCurrency1764000000800 implements MigrationInterface {
  name = 'CartCurrency1764000000800';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE carts DROP COLUMN currency');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE carts ADD COLUMN currency char(3)');
    await db.query(`UPDATE carts c SET currency = (SELECT p.currency FROM cart_items ci JOIN products p ON p.tenant_id = ci.tenant_id AND p.id = ci.product_id
                     WHERE ci.tenant_id = c.tenant_id AND ci.cart_id = c.id ORDER BY ci.added_at, ci.product_id LIMIT 1)`);
  }
}
