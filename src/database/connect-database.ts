import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { APP_ROLE } from './app-role';
import {
  openDataSource,
  openPglite,
  pgliteDataSourceOptions,
  postgresDataSourceOptions,
} from './data-source.factory';
import { DatabaseState } from './database-state';
import { runMigrations } from './migrator';

const logger = new Logger('Database');

/**
 * Opens the database the configuration names, applies migrations when asked,
 * and makes sure every query of the service runs as the restricted
 * application role, so that forced row-level security applies to it.
 */
export async function connectDatabase(config: AppConfig, state: DatabaseState): Promise<DataSource> {
  const dataSource = config.embeddedDatabase ? await connectEmbedded(config, state) : await connectPostgres(config, state);
  state.ready = true;
  return dataSource;
}

async function connectEmbedded(config: AppConfig, state: DatabaseState): Promise<DataSource> {
  state.embedded = true;
  const pglite = await openPglite(config.PGLITE_DATA_DIR);
  const dataSource = await openDataSource(pgliteDataSourceOptions(pglite));
  if (config.MIGRATIONS_RUN) state.migrationsApplied = await runMigrations(dataSource);
  const [{ exists }] = await dataSource.query('SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists', [APP_ROLE]);
  if (!exists) throw new Error(`the embedded database has no role ${APP_ROLE}: run the migrations first (npm run migration:run)`);
  // PGlite's only session is a superuser, which bypasses RLS: drop to the
  // application role for the rest of the session.
  await dataSource.query(`SET ROLE ${APP_ROLE}`);
  state.roleSwitched = true;
  // The pool does not own the PGlite instance; close it with the data source
  // so that the data folder is left consistent.
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    await destroy();
    await pglite.close();
  };
  logger.log(`embedded PostgreSQL (PGlite) at ${config.PGLITE_DATA_DIR}`);
  return dataSource;
}

async function connectPostgres(config: AppConfig, state: DatabaseState): Promise<DataSource> {
  const url = config.DATABASE_URL!;
  if (config.MIGRATIONS_RUN) {
    const migrationSource = await openDataSource(
      postgresDataSourceOptions(config, config.DATABASE_MIGRATION_URL ?? url, { poolSize: 1 }),
    );
    try {
      state.migrationsApplied = await runMigrations(migrationSource);
    } finally {
      await migrationSource.destroy();
    }
  }
  state.roleSwitched = await mustSwitchRole(url);
  return openDataSource(postgresDataSourceOptions(config, url, { role: state.roleSwitched ? APP_ROLE : undefined }));
}

/** A role that is superuser, bypasses RLS or owns tables must not serve requests as itself. */
async function mustSwitchRole(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT r.rolsuper OR r.rolbypassrls
              OR EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user) AS privileged,
              EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS app_role_exists
         FROM pg_roles r WHERE r.rolname = current_user`,
      [APP_ROLE],
    );
    const { privileged, app_role_exists } = rows[0];
    if (privileged && !app_role_exists) {
      throw new Error(`the database has no role ${APP_ROLE}: run the migrations first (npm run migration:run)`);
    }
    return privileged;
  } finally {
    await client.end();
  }
}
