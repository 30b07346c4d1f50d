import 'reflect-metadata';
import { ConfigError, loadConfig } from '../../config/app-config';
import { openOwnerDataSource } from '../../database/owner-data-source';
import { UnitOfWork } from '../../database/unit-of-work';
import { LedgerReconciler } from './ledger-reconciler';
import { runReconciliation } from './reconcile-report';

/**
 * `npm run ledger:reconcile`: recomputes every balance of every tenant from
 * the ledger entries, prints a report, exits 1 on any difference (2 when it
 * cannot run). Reads the same settings as the service (DATABASE_URL, or the
 * embedded PGLITE_DATA_DIR, which only one process may open at a time: stop
 * the service first). Read-only; runs no migration.
 */
async function main(): Promise<number> {
  const dataSource = await openOwnerDataSource(loadConfig(process.env));
  try {
    return await runReconciliation(new LedgerReconciler(new UnitOfWork(dataSource)), (text) => process.stdout.write(text));
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`ledger reconciliation could not run: ${message}\n`);
    process.exit(2);
  },
);
