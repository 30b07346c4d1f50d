import { loadConfig } from '../config/app-config';
import { runMigrations } from './migrator';
import { openOwnerDataSource } from './owner-data-source';

/**
 * `npm run migration:run`: applies pending migrations once and exits, for
 * deployments that start the service with MIGRATIONS_RUN=false (a release
 * job in Kubernetes). Uses DATABASE_MIGRATION_URL when set.
 */
async function main(): Promise<void> {
  const dataSource = await openOwnerDataSource(loadConfig(process.env));
  try {
    const applied = await runMigrations(dataSource);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'no pending migration\n');
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error) => {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
