import { DataSource, MigrationExecutor } from 'typeorm';

/** Any fixed number: instances racing to migrate the same database share it. */
const MIGRATION_LOCK_KEY = 72_160_001;

/**
 * Applies pending migrations, each in its own transaction, while holding a
 * PostgreSQL advisory lock so that when several instances start at once
 * exactly one applies them and the others find nothing left to do.
 * Returns the names of the migrations this call applied.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    const applied = await executor.executePendingMigrations();
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
