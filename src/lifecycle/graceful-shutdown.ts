import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { LifecycleState } from '../modules/health/lifecycle-state';

/** How long closing the HTTP server waits for requests still running before it cuts their connections. */
const IN_FLIGHT_GRACE_MS = 5000;

/**
 * Kubernetes-style shutdown. On the first SIGTERM/SIGINT readiness turns 503
 * at once while requests are still served for `drainMs` (so the load
 * balancer stops sending); every request arriving meanwhile is answered
 * with `Connection: close`, so kept-alive clients reconnect to the instances
 * that stay. Then the HTTP server closes (requests in flight finish), and
 * only then the shutdown hooks run: audit flush (nothing can add events any
 * more), Redis, database. Exit code 0. A second signal exits at once with 1.
 *
 * Call before `app.listen()`: it adds a Fastify hook.
 */
export function installGracefulShutdown(app: NestFastifyApplication, drainMs: number): void {
  const logger = new Logger('Shutdown');
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  let stopping = false;

  // On arrival rather than in onSend: a global onSend hook would make every answer run Fastify's onSend phase.
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (stopping) void reply.header('connection', 'close');
    done();
  });

  const onSignal = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    app.get(LifecycleState).draining = true;
    logger.log(`${signal}: readiness is 503, still serving for ${drainMs} ms`);
    try {
      await sleep(drainMs);
      await closeHttpServer(fastify);
      logger.log('HTTP server closed; flushing the audit buffer and closing Redis and the database');
      await app.close();
      logger.log('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).message}`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', (signal) => void onSignal(signal));
  process.on('SIGINT', (signal) => void onSignal(signal));
}

/**
 * Stops accepting connections and waits for the requests in flight. Node's
 * `server.close()` closes the connections idle at that moment only, and a
 * kept-alive one that finishes its request later would hold the server open
 * for the whole keep-alive timeout: idle ones are closed again as they turn
 * idle, and whatever still runs after the grace period is cut.
 */
async function closeHttpServer(fastify: FastifyInstance): Promise<void> {
  const server = fastify.server;
  const reaper = setInterval(() => server.closeIdleConnections(), 100);
  const cutoff = setTimeout(() => server.closeAllConnections(), IN_FLIGHT_GRACE_MS);
  try {
    await fastify.close();
  } finally {
    clearInterval(reaper);
    clearTimeout(cutoff);
  }
}
