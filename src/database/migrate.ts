import { loadConfig } from '../config/app-config';
import { openDataSource, openPglite, pgliteDataSourceOptions, postgresDataSourceOptions } from './data-source.factory';
import { runMigrations } from './migrator';

/**
 * `npm run migration:run`: applies pending migrations once and exits, for
 * deployments that start the service with MIGRATIONS_RUN=false (a release
 * job in Kubernetes). Uses DATABASE_MIGRATION_URL when set.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const pglite = config.embeddedDatabase ? await openPglite(config.PGLITE_DATA_DIR) : undefined;
  const dataSource = await openDataSource(
    pglite
      ? pgliteDataSourceOptions(pglite)
      : postgresDataSourceOptions(config, config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL!, { poolSize: 1 }),
  );
  try {
    const applied = await runMigrations(dataSource);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'no pending migration\n');
  } finally {
    await dataSource.destroy();
    await pglite?.close();
  }
}

main().catch((error) => {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
