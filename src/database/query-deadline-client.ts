import { Logger } from '@nestjs/common';
import { Client } from 'pg';

const logger = new Logger('Database');

/**
 * A pg Client whose every query has a deadline: past it, the connection is
 * destroyed. A database that stopped answering without closing its sockets
 * (frozen, or a network partition that drops packets) would otherwise hold a
 * request, and its pooled connection, until TCP gives up many minutes later.
 * Destroying the socket fails the query with "Connection terminated", which
 * the error filter answers 503, and the pool replaces the connection. The
 * server rolls back whatever transaction that connection had open.
 */
export function clientWithQueryDeadline(deadlineMs: number): typeof Client {
  return class QueryDeadlineClient extends Client {
    // pg's overloads (promise, callback, submittable) are passed through untouched; only the promise form gets a deadline.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one signature standing for all of pg's overloads
    query(...args: unknown[]): any {
      const result = (Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
      if (!(result instanceof Promise)) return result;
      const timer = setTimeout(() => {
        logger.warn(`no answer from the database within ${deadlineMs} ms: closing that connection`);
        (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      }, deadlineMs);
      timer.unref();
      return result.finally(() => clearTimeout(timer));
    }
  } as typeof Client;
}
