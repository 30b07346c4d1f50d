import { INestApplication, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { LifecycleState } from '../modules/health/lifecycle-state';

/**
 * Kubernetes-style shutdown. On the first SIGTERM/SIGINT readiness turns 503
 * at once while requests are still served for `drainMs` (so the load
 * balancer stops sending), then the HTTP server closes (in-flight requests
 * finish) and the shutdown hooks run: audit flush, Redis, database. A second
 * signal exits at once.
 */
export function installGracefulShutdown(app: INestApplication, drainMs: number): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const onSignal = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    app.get(LifecycleState).draining = true;
    logger.log(`${signal}: draining for ${drainMs} ms`);
    try {
      await sleep(drainMs);
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
