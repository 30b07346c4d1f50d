import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { connectDatabase } from './connect-database';
import { DatabaseState } from './database-state';
import { EmbeddedMaintenance } from './embedded-maintenance';
import { UnitOfWork } from './unit-of-work';

/** The database connection (PostgreSQL or embedded PGlite) and the unit of work. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    const state = new DatabaseState();
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres', retryAttempts: 0 }),
          dataSourceFactory: () => connectDatabase(config, state),
        }),
      ],
      providers: [{ provide: DatabaseState, useValue: state }, UnitOfWork, EmbeddedMaintenance],
      exports: [DatabaseState, UnitOfWork, EmbeddedMaintenance],
    };
  }
}
