import { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE } from '../app-role';

/**
 * The audit log: append-only (the application role may only read and
 * insert), one hash chain per tenant plus one for tenant-less events, whose
 * heads are kept in `audit_chain_heads`. Row-level security lets a tenant
 * see its own events; the platform operator's endpoints see all.
 */
export class Audit1764000000200 implements MigrationInterface {
  name = 'Audit1764000000200';

  async up(db: QueryRunner): Promise<void> {
    const policy = `tenant_id IS NOT DISTINCT FROM app_current_tenant() OR app_is_platform()`;
    await db.query(`CREATE TABLE audit_logs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id uuid REFERENCES tenants(id),
      chain_seq bigint NOT NULL,
      type text NOT NULL,
      severity text NOT NULL CHECK (severity IN ('INFO', 'WARNING', 'ERROR', 'CRITICAL')),
      user_id uuid,
      resource_type text,
      resource_id text,
      ip text,
      request_id text,
      outcome text,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz(3) NOT NULL,
      prev_hash text NOT NULL,
      hash text NOT NULL)`);
    await db.query('CREATE UNIQUE INDEX audit_logs_chain ON audit_logs (coalesce(tenant_id, \'00000000-0000-0000-0000-000000000000\'), chain_seq)');
    await db.query('CREATE INDEX audit_logs_page ON audit_logs (tenant_id, created_at DESC, id DESC)');
    await db.query('CREATE INDEX audit_logs_type ON audit_logs (tenant_id, type, created_at DESC)');
    await db.query('CREATE INDEX audit_logs_resource ON audit_logs (tenant_id, resource_type, resource_id)');
    await db.query(`CREATE TABLE audit_chain_heads (
      chain_key text PRIMARY KEY,
      tenant_id uuid REFERENCES tenants(id),
      last_seq bigint NOT NULL,
      last_hash text NOT NULL)`);
    for (const table of ['audit_logs', 'audit_chain_heads']) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await db.query(`CREATE POLICY tenant_isolation ON ${table} USING (${policy}) WITH CHECK (${policy})`);
    }
    await db.query(`GRANT SELECT, INSERT ON audit_logs TO ${APP_ROLE}`);
    await db.query(`GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO ${APP_ROLE}`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE audit_chain_heads');
    await db.query('DROP TABLE audit_logs');
  }
}
