'use strict';
// Reference (not a baseline of a scenario): bare NestJS on Fastify, one
// controller answering the health JSON from memory, no guard, interceptor,
// pipe, hook, helmet or logger. Measured next to bare-fastify.js it shows
// what the framework alone costs per request: the floor under our health
// route, which adds the contract's headers, request ids, metrics and the
// global guards on top.
//   PORT=3002 HOST=127.0.0.1 node load-tests/baselines/bare-nest.js
require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');
const { exitWithParent } = require('./parent-watch');

const HEALTH = { status: 'ok', info: {}, error: {}, details: {} };

// Decorators applied by hand: this file runs as plain JavaScript.
class HealthController {
  health() {
    return HEALTH;
  }
  ready() {
    return { ready: true };
  }
}
for (const [method, path] of [['health', 'api/health'], ['ready', 'ready']]) {
  Get(path)(HealthController.prototype, method, Object.getOwnPropertyDescriptor(HealthController.prototype, method));
}
Controller()(HealthController);

class BareModule {}
Module({ controllers: [HealthController] })(BareModule);

async function main() {
  const app = await NestFactory.create(BareModule, new FastifyAdapter({ logger: false }), { logger: false });
  await app.listen(Number(process.env.PORT ?? 3002), process.env.HOST ?? '127.0.0.1');
  exitWithParent();
}

main().catch((error) => {
  process.stderr.write(`bare-nest: ${error.stack}\n`);
  process.exit(1);
});
