'use strict';
// Baseline 1: bare Fastify answering the health JSON from memory, no plugin,
// no hook, no logger. What the service's GET /api/health is compared to.
//   PORT=3001 HOST=127.0.0.1 node load-tests/baselines/bare-fastify.js
const fastify = require('fastify');
const { exitWithParent } = require('./parent-watch');

const HEALTH = { status: 'ok', info: {}, error: {}, details: {} };

async function main() {
  const app = fastify({ logger: false });
  app.get('/api/health', async () => HEALTH);
  app.get('/ready', async () => ({ ready: true }));
  await app.listen({ port: Number(process.env.PORT ?? 3001), host: process.env.HOST ?? '127.0.0.1' });
  exitWithParent();
}

main().catch((error) => {
  process.stderr.write(`bare-fastify: ${error.stack}\n`);
  process.exit(1);
});
