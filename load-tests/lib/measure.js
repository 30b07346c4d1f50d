'use strict';
// One autocannon run with a progress line, summarized to the figures we report.
const autocannon = require('autocannon');
const os = require('node:os');
const { cpuMs, postgresCpuBetween, postgresCpuSnapshot } = require('./process-cpu');

let current = null;

/** Stops the run in progress (on SIGINT), if any. */
function stopCurrentRun() {
  current?.stop();
}

const round = (value, digits = 2) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : null);

/**
 * Runs autocannon against `url` for `durationS` seconds with `connections`,
 * printing one progress line (rewritten in place on a terminal, every 5 s
 * otherwise), and answers a summary of the result. With `serverPid`, the
 * summary has the server's CPU time per request; with `localPostgres`,
 * PostgreSQL's (its processes on this machine).
 */
function measure({ label, url, connections, durationS, requests, serverPid, localPostgres = false }) {
  return new Promise((resolve, reject) => {
    const stream = process.stderr;
    const cpuBefore = cpuMs(serverPid);
    const postgresBefore = localPostgres ? postgresCpuSnapshot() : null;
    const started = Date.now();
    let done = 0;
    let lastLine = 0;
    const instance = autocannon(
      { url, connections, duration: durationS, pipelining: 1, timeout: 10, requests },
      (error, result) => {
        current = null;
        if (stream.isTTY) stream.write('\r\x1b[K');
        if (error) reject(error);
        else {
          const cpuAfter = cpuMs(serverPid);
          const postgresMs = localPostgres ? postgresCpuBetween(postgresBefore, postgresCpuSnapshot()) : null;
          const serverCpuMs = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
          resolve(summarize(result, durationS, serverCpuMs, postgresMs));
        }
      },
    );
    current = instance;
    instance.on('tick', ({ counter }) => {
      done += counter;
      const elapsed = (Date.now() - started) / 1000;
      const line = `  ${label}: ${elapsed.toFixed(0).padStart(3)}/${durationS} s, ${counter} req/s now, ${done} done`;
      if (stream.isTTY) stream.write(`\r\x1b[K${line}`);
      else if (Date.now() - lastLine >= 5000) {
        stream.write(`${line}\n`);
        lastLine = Date.now();
      }
    });
  });
}

function summarize(result, durationS, serverCpuMs, postgresMs) {
  const completed = result.requests.total;
  const perRequest = (ms) => (ms !== null && completed > 0 ? round((1000 * ms) / completed, 0) : null);
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, Number(count)]));
  return {
    durationS,
    measuredS: result.duration,
    connections: result.connections,
    requests: completed,
    rps: round(completed / result.duration, 1),
    latency: {
      avg: round(result.latency.average),
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    status2xx: result['2xx'],
    non2xx: result.non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    /** CPU of the server process alone (not PostgreSQL's, not Redis'), per completed request. */
    serverCpuUsPerRequest: perRequest(serverCpuMs),
    /** CPU of PostgreSQL's processes on this machine, per completed request (null when it runs elsewhere or embedded). */
    postgresCpuUsPerRequest: perRequest(postgresMs),
    loadAverage: os.loadavg().map((v) => round(v)),
  };
}

module.exports = { measure, stopCurrentRun, round };
