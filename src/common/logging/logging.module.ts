import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';

/** Injection token of the shared pino logger, for structured lines (objects, not strings). */
export const PINO_LOGGER = Symbol('PINO_LOGGER');

@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: Logger): DynamicModule {
    return { module: LoggingModule, providers: [{ provide: PINO_LOGGER, useValue: logger }], exports: [PINO_LOGGER] };
  }
}
