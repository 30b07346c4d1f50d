import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { openDataSource, openPglite, pgliteDataSourceOptions, postgresDataSourceOptions } from './data-source.factory';

/**
 * A one-connection data source as the owner role, for the operator commands
 * (migrations, ledger reconciliation, audit verification and retention):
 * DATABASE_MIGRATION_URL, else DATABASE_URL, else the embedded folder, which
 * only one process may open at a time (stop the service first).
 */
export async function openOwnerDataSource(config: AppConfig): Promise<DataSource> {
  if (!config.embeddedDatabase) {
    return openDataSource(postgresDataSourceOptions(config, config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL!, { poolSize: 1 }));
  }
  const pglite = await openPglite(config.PGLITE_DATA_DIR);
  const dataSource = await openDataSource(pgliteDataSourceOptions(pglite));
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    await destroy();
    await pglite.close();
  };
  return dataSource;
}
