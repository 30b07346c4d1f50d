import { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE } from '../app-role';
import { tenantTable } from './rls';

/** Tenants, users, sessions and refresh tokens, tenant-owned tables under forced RLS. */
export class Identity1764000000100 implements MigrationInterface {
  name = 'Identity1764000000100';

  async up(db: QueryRunner): Promise<void> {
    // Not tenant-owned: login resolves a slug to its tenant before any tenant is known.
    await db.query(`CREATE TABLE tenants (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]{3,63}$'),
      name text NOT NULL,
      created_at timestamptz(3) NOT NULL DEFAULT now())`);
    await db.query(`GRANT SELECT, INSERT ON tenants TO ${APP_ROLE}`);

    await db.query(`CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id uuid NOT NULL REFERENCES tenants(id),
      email text NOT NULL,
      password_hash text NOT NULL,
      role text NOT NULL CHECK (role IN ('admin', 'member')),
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      UNIQUE (tenant_id, id),
      UNIQUE (tenant_id, email))`);
    await db.query('CREATE INDEX users_page ON users (tenant_id, created_at DESC, id DESC)');
    for (const sql of tenantTable('users', 'SELECT, INSERT, UPDATE')) await db.query(sql);

    await db.query(`CREATE TABLE sessions (
      id uuid PRIMARY KEY,
      tenant_id uuid NOT NULL,
      user_id uuid NOT NULL,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      expires_at timestamptz(3) NOT NULL,
      revoked_at timestamptz(3),
      revoked_reason text,
      UNIQUE (tenant_id, id),
      FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id))`);
    for (const sql of tenantTable('sessions', 'SELECT, INSERT, UPDATE')) await db.query(sql);

    // One row per refresh token ever issued: a rotated one presented again is a reuse.
    await db.query(`CREATE TABLE refresh_tokens (
      token_hash text PRIMARY KEY,
      tenant_id uuid NOT NULL,
      session_id uuid NOT NULL,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      rotated_at timestamptz(3),
      FOREIGN KEY (tenant_id, session_id) REFERENCES sessions(tenant_id, id))`);
    await db.query('CREATE INDEX refresh_tokens_session ON refresh_tokens (tenant_id, session_id)');
    for (const sql of tenantTable('refresh_tokens', 'SELECT, INSERT, UPDATE')) await db.query(sql);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE refresh_tokens');
    await db.query('DROP TABLE sessions');
    await db.query('DROP TABLE users');
    await db.query('DROP TABLE tenants');
  }
}
