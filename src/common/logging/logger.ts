import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { currentRequestContext } from '../request-context/request-context';

/**
 * One pino logger for Fastify, Nest and the services. The mixin stamps the
 * request id, tenant and user of the current request on every line.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'saas-core' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', '*.password', 'accessToken', 'refreshToken', '*.authorization'], censor: '[redacted]' },
    mixin() {
      const ctx = currentRequestContext();
      if (!ctx) return {};
      return { requestId: ctx.requestId, tenantId: ctx.principal?.tenantId, userId: ctx.principal?.userId };
    },
  });
}

/** Routes Nest's own log calls into the shared pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
