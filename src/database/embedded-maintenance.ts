import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { APP_ROLE } from './app-role';

const CHECK_INTERVAL_MS = 30_000;
/** PostgreSQL's autovacuum defaults: act on a table once this share of it changed (plus 50 rows). */
const VACUUM_SCALE = 0.2;
const ANALYZE_SCALE = 0.1;
const THRESHOLD = 50;

interface TableActivity {
  name: string;
  live: number;
  dead: number;
  modified: number;
}

/**
 * The embedded PostgreSQL (PGlite) has no background workers, so no
 * autovacuum: its planner statistics stay those of the empty tables of the
 * first start and dead rows pile up, and queries slow down as the data grows
 * (the soak suite measured writes 60-80% slower after ten minutes). Every
 * 30 s this runs what autovacuum would, with its default thresholds:
 * `VACUUM (ANALYZE)` of a table with enough dead rows, `ANALYZE` of one that
 * changed enough. It holds the one connection meanwhile (requests wait, as
 * for any query), as the owner, and hands it back as the restricted role.
 * Real PostgreSQL runs its own autovacuum: nothing to do there.
 */
@Injectable()
export class EmbeddedMaintenance implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EmbeddedMaintenance.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<string[]>;
  /** The tables analyzed at start (see {@link restoreStatistics}); empty on PostgreSQL. */
  statisticsRestored: Promise<string[]> = Promise.resolve([]);

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get enabled(): boolean {
    return this.config.embeddedDatabase;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.statisticsRestored = this.restoreStatistics().catch((error: Error) => {
      this.logger.warn(`embedded database statistics not restored: ${error.message}`);
      return [];
    });
    this.timer = setInterval(() => {
      this.runOnce().catch((error: Error) => this.logger.warn(`embedded database maintenance failed: ${error.message}`));
    }, CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Vacuums and analyzes the tables that need it now; returns their names. */
  runOnce(): Promise<string[]> {
    this.running ??= this.maintain().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * PGlite keeps no activity statistics across restarts: after one, every
   * table reads as empty (`n_live_tup` 0) to the checks below and to the row
   * counts of the detailed metrics. An ANALYZE of every table that holds data
   * counts its rows again; inserts and deletes keep the count from there.
   */
  private restoreStatistics(): Promise<string[]> {
    return this.asOwner(async (client) => {
      const { rows } = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r' AND pg_relation_size(c.oid) > 0 ORDER BY c.relname`,
      );
      for (const table of rows) await client.query(`ANALYZE "${table.name}"`);
      return rows.map((table) => table.name);
    });
  }

  private maintain(): Promise<string[]> {
    return this.asOwner(async (client) => {
      // The session's own recent changes reach pg_stat_user_tables at most once a second, when it
      // is idle: have them flushed first, so that the counts below include them.
      await client.query('SELECT pg_stat_force_next_flush()');
      const { rows } = await client.query<TableActivity>(
        `SELECT relname AS name, n_live_tup::int AS live, n_dead_tup::int AS dead, n_mod_since_analyze::int AS modified
           FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY relname`,
      );
      const done: string[] = [];
      for (const table of rows) {
        const vacuum = table.dead > THRESHOLD + VACUUM_SCALE * table.live;
        const analyze = table.modified > THRESHOLD + ANALYZE_SCALE * table.live;
        if (!vacuum && !analyze) continue;
        await client.query(`${vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE'} "${table.name}"`);
        done.push(table.name);
      }
      return done;
    });
  }

  /** Runs `work` on the one connection as the owner, and hands it back as the restricted role. */
  private async asOwner<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const pool: Pool = (this.dataSource.driver as PostgresDriver).master;
    const client = await pool.connect();
    let restored = false;
    try {
      await client.query('RESET ROLE');
      return await work(client);
    } finally {
      try {
        await client.query(`SET ROLE ${APP_ROLE}`);
        restored = true;
      } finally {
        // A session left as the owner would bypass row-level security: it is never handed back.
        if (restored) client.release();
        else this.logger.error('could not return the embedded database session to the application role: it stays out of use');
      }
    }
  }
}
