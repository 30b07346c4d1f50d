import { ConfigError, loadConfig } from './config/app-config';
import { createApp } from './bootstrap';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown';
import { ensureJwtSecret } from './config/jwt-secret';
import { LifecycleState } from './modules/health/lifecycle-state';

async function main(): Promise<void> {
  let config;
  try {
    config = ensureJwtSecret(loadConfig(process.env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const app = await createApp(config);
  installGracefulShutdown(app, config.SHUTDOWN_DRAIN_MS);
  await app.listen({ port: config.PORT, host: config.HOST }).catch((error: Error) => {
    throw new Error(`cannot listen on HOST=${config.HOST} PORT=${config.PORT}: ${error.message}`);
  });
  app.get(LifecycleState).started = true;
}

main().catch((error) => {
  process.stderr.write(`saas-core failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
