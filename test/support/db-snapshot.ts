import { queryAsOwner } from './db';
import { TestApp } from './test-app';

export interface TableState {
  rows: number;
  /** md5 of every row's text form, in a fixed order. */
  checksum: string;
}

export type DatabaseSnapshot = Record<string, TableState>;

/**
 * Row count and content checksum of every table of the service (all
 * tenants: read as the owner, past row-level security), in one statement.
 * Run it while no request is in flight (see queryAsOwner).
 */
export async function snapshotDatabase(t: TestApp, except: string[] = []): Promise<DatabaseSnapshot> {
  const tables = (
    await queryAsOwner<{ name: string }>(
      t,
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY tablename",
    )
  )
    .map((row) => row.name)
    .filter((name) => !except.includes(name));
  const rows = await queryAsOwner<{ name: string; rows: number; checksum: string }>(
    t,
    tables
      .map(
        (name) =>
          `SELECT '${name}' AS name, count(*)::int AS rows, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS checksum FROM "${name}" t`,
      )
      .join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map((row) => [row.name, { rows: row.rows, checksum: row.checksum }]));
}

/** `table: rows before → after` for every table that differs. */
export function snapshotDifferences(before: DatabaseSnapshot, after: DatabaseSnapshot): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names
    .filter((name) => before[name]?.checksum !== after[name]?.checksum || before[name]?.rows !== after[name]?.rows)
    .map((name) => `${name}: ${before[name]?.rows ?? 'absent'} rows → ${after[name]?.rows ?? 'absent'} rows (content changed)`);
}
