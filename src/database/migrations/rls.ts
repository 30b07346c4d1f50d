import { APP_ROLE } from '../app-role';

/**
 * Statements that make a table tenant-owned: row-level security enabled and
 * forced (so even the table owner obeys it), one policy on the transaction's
 * `app.tenant_id` setting, and the given privileges for the application role.
 */
export function tenantTable(table: string, privileges = 'SELECT, INSERT, UPDATE, DELETE'): string[] {
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY tenant_isolation ON ${table} USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())`,
    `GRANT ${privileges} ON ${table} TO ${APP_ROLE}`,
  ];
}
