import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention: when old events are pruned, the chain head remembers the last
 * pruned event's sequence and hash, so verification starts from there.
 */
export class AuditRetention1764000000700 implements MigrationInterface {
  name = 'AuditRetention1764000000700';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE audit_chain_heads
      ADD COLUMN pruned_through_seq bigint NOT NULL DEFAULT 0,
      ADD COLUMN pruned_through_hash text NOT NULL DEFAULT '${'0'.repeat(64)}'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE audit_chain_heads DROP COLUMN pruned_through_seq, DROP COLUMN pruned_through_hash');
  }
}
