'use strict';
/* global AbortSignal */
// Child processes of a load-test run: the service, the baselines, and the
// cleanup that ends each of them by pid whatever way the run ends.
const { spawn, execFileSync } = require('node:child_process');
const net = require('node:net');
const { setTimeout: sleep } = require('node:timers/promises');

const cleanups = [];

/** Registers `fn` to run once at the end of the run (last registered runs first). */
function onCleanup(label, fn) {
  const entry = { label, fn };
  cleanups.push(entry);
  return () => {
    const index = cleanups.indexOf(entry);
    if (index >= 0) cleanups.splice(index, 1);
  };
}

/** Runs every registered cleanup, newest first, each bounded in time; safe to call twice. */
async function runCleanups() {
  while (cleanups.length) {
    const { label, fn } = cleanups.pop();
    try {
      await Promise.race([fn(), sleep(20_000).then(() => Promise.reject(new Error('timed out after 20 s')))]);
    } catch (error) {
      process.stderr.write(`cleanup "${label}" failed: ${error.message}\n`);
    }
  }
}

let tasksetAvailable;
/** True when `taskset` exists and the machine has at least two cores to split. */
function canPin() {
  if (tasksetAvailable === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetAvailable = require('node:os').availableParallelism() >= 2;
    } catch {
      tasksetAvailable = false;
    }
  }
  return tasksetAvailable;
}

/** Pins this process (every thread of it: the load generator) to core 1. */
function pinSelf() {
  if (!canPin()) return false;
  execFileSync('taskset', ['-apc', '1', String(process.pid)], { stdio: 'ignore' });
  return true;
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node <args>` pinned to core 0 (when possible), keeping the last
 * 64 KB of its output for error messages, and registers its end by pid.
 */
function startNode(label, args, env) {
  const command = canPin() ? 'taskset' : process.execPath;
  const argv = canPin() ? ['-c', '0', process.execPath, ...args] : args;
  // taskset execs node: the pid we hold is node's own.
  const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk.toString()).slice(-65536);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let running = true;
  exited.then(() => (running = false));
  const signal = (name) => {
    try {
      process.kill(child.pid, name);
    } catch (error) {
      if (error.code !== 'ESRCH') throw error; // already gone
    }
  };
  const stop = async () => {
    if (!running) return;
    signal('SIGTERM');
    const outcome = await Promise.race([exited, sleep(10_000).then(() => null)]);
    if (!outcome && running) {
      signal('SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
    }
  };
  const forget = onCleanup(`stop ${label} (pid ${child.pid})`, stop);
  return {
    label,
    pid: child.pid,
    output: () => tail,
    exited,
    isRunning: () => running,
    stop: async () => {
      forget();
      await stop();
    },
  };
}

/** Polls `url` until it answers 200, the process exits, or `timeoutMs` passes. */
async function waitForOk(url, processHandle, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (processHandle && !processHandle.isRunning()) {
      throw new Error(`${processHandle.label} exited before it was ready:\n${processHandle.output().slice(-4000)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
      await res.arrayBuffer();
    } catch (error) {
      last = error.message;
    }
    await sleep(200);
  }
  throw new Error(`${url} was not ready after ${timeoutMs / 1000} s (${last})${processHandle ? `:\n${processHandle.output().slice(-4000)}` : ''}`);
}

module.exports = { onCleanup, runCleanups, canPin, pinSelf, freePort, startNode, waitForOk };
