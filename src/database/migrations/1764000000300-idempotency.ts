import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantTable } from './rls';

/**
 * Idempotency keys of money-moving requests, one row per (tenant, user, key):
 * `pending` while the first request runs (`lock_token` names that attempt,
 * `locked_until` says when a crashed one may be taken over), then
 * `completed` with the exact status and body to replay. The body is `text`,
 * not `jsonb`, so that a replay is byte for byte the first answer.
 */
export class Idempotency1764000000300 implements MigrationInterface {
  name = 'Idempotency1764000000300';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE idempotency_keys (
      tenant_id uuid NOT NULL,
      user_id uuid NOT NULL,
      key text NOT NULL CHECK (key ~ '^[\\x20-\\x7e]{1,255}$'),
      fingerprint text NOT NULL,
      method text NOT NULL,
      path text NOT NULL,
      state text NOT NULL CHECK (state IN ('pending', 'completed')),
      lock_token uuid,
      locked_until timestamptz(3),
      status integer CHECK (status BETWEEN 100 AND 599),
      body text,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      expires_at timestamptz(3) NOT NULL,
      PRIMARY KEY (tenant_id, user_id, key),
      FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id),
      CHECK ((state = 'completed') = (status IS NOT NULL AND body IS NOT NULL)))`);
    await db.query('CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)');
    for (const sql of tenantTable('idempotency_keys', 'SELECT, INSERT, UPDATE, DELETE')) await db.query(sql);
    // The pruning job runs without a tenant: it may see and delete expired keys, nothing else.
    const expired = 'app_is_platform() AND expires_at < now()';
    await db.query(`CREATE POLICY prune_expired_select ON idempotency_keys FOR SELECT USING (${expired})`);
    await db.query(`CREATE POLICY prune_expired_delete ON idempotency_keys FOR DELETE USING (${expired})`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE idempotency_keys');
  }
}
