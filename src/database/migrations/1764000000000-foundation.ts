import { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE } from '../app-role';

/**
 * The restricted application role and the tenant setting that row-level
 * security policies read. The role is cluster-wide, so it is created only
 * when missing, and the migrating role is made a member so it can SET ROLE.
 */
export class Foundation1764000000000 implements MigrationInterface {
  name = 'Foundation1764000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
        CREATE ROLE ${APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
      END IF;
    END $$`);
    await db.query(`DO $$ BEGIN
      IF NOT pg_has_role(current_user, '${APP_ROLE}', 'MEMBER') THEN
        EXECUTE format('GRANT ${APP_ROLE} TO %I', current_user);
      END IF;
    END $$`);
    await db.query(`GRANT USAGE ON SCHEMA public TO ${APP_ROLE}`);
    // NULL when unset: a query made outside a tenant unit of work sees no row.
    await db.query(`CREATE FUNCTION app_current_tenant() RETURNS uuid LANGUAGE sql STABLE AS
      $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$`);
    await db.query(`CREATE FUNCTION app_is_platform() RETURNS boolean LANGUAGE sql STABLE AS
      $$ SELECT coalesce(current_setting('app.platform', true), '') = 'on' $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP FUNCTION app_is_platform()');
    await db.query('DROP FUNCTION app_current_tenant()');
    await db.query(`REVOKE USAGE ON SCHEMA public FROM ${APP_ROLE}`);
  }
}
