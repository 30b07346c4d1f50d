import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { TenantReadQuery } from './tenant-read-query';

const logger = new Logger('Database');

/**
 * The pg Client of the pool that serves requests (real PostgreSQL).
 *
 * - It always listens for `error`: pg-pool stops listening while a client is
 *   checked out, and an `error` event nobody listens to would crash the
 *   process when a connection dies mid-transaction (database stopped under
 *   load). The query in flight gets the error anyway, and a later one
 *   "Client has encountered a connection error": both are answered 503.
 * - With `queryDeadlineMs` > 0, every query has a deadline: past it, the
 *   connection is destroyed. A database that stopped answering without
 *   closing its sockets (frozen, or a partition that drops packets) would
 *   otherwise hold the request and its pooled connection until TCP gives up,
 *   many minutes later. The query fails with "Connection terminated" (503),
 *   the pool replaces the connection, the server rolls back its transaction.
 */
export function servingClientClass(queryDeadlineMs: number): typeof Client {
  return class ServingClient extends Client {
    constructor(...args: ConstructorParameters<typeof Client>) {
      super(...args);
      this.on('error', (error: Error) => logger.warn(`database connection lost: ${error.message}`));
    }

    // pg's overloads (promise, callback, submittable) pass through untouched; the promise form and
    // TenantReadQuery get a deadline.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one signature standing for all of pg's overloads
    query(...args: unknown[]): any {
      const result = (Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
      const answered = result instanceof Promise ? result : result instanceof TenantReadQuery ? result.done : undefined;
      if (queryDeadlineMs <= 0 || answered === undefined) return result;
      const timer = setTimeout(() => {
        logger.warn(`no answer from the database within ${queryDeadlineMs} ms: closing that connection`);
        (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      }, queryDeadlineMs);
      timer.unref();
      const stop = () => clearTimeout(timer);
      answered.then(stop, stop);
      return result;
    }
  } as typeof Client;
}
