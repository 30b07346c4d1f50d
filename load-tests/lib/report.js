'use strict';
// Terminal tables of a run.

const BASELINE_TITLES = { 'bare-fastify': 'bare Fastify', 'bare-fastify-pg': 'bare Fastify + pg', 'bare-nest': 'bare NestJS (reference)' };

const fmt = (value) => (value === null || value === undefined ? '—' : typeof value === 'number' ? value.toLocaleString('en-US') : String(value));

function table(header, rows) {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => fmt(row[i]).length)));
  const line = (cells) => cells.map((cell, i) => (i === 0 ? fmt(cell).padEnd(widths[i]) : fmt(cell).padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

const COLUMNS = ['', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '2xx', 'non-2xx', 'errors', 'timeouts', 'ratio', 'CPU µs/req', 'CPU ratio', 'PG µs/req'];
const row = (title, r, ratio, cpuRatio) => [
  title, r.rps, r.latency.p50, r.latency.p90, r.latency.p99, r.latency.max, r.status2xx, r.non2xx, r.errors, r.timeouts, ratio, r.serverCpuUsPerRequest, cpuRatio,
  r.postgresCpuUsPerRequest,
];

/** The table of one scenario: its result, its baseline, the ratio, the ledger and the targets. */
function scenarioTable(entry) {
  const load = entry.result ? `; load average ${entry.result.loadAverage[0]} on ${require('node:os').cpus().length} cores` : '';
  const head = `${entry.name}  ${entry.path}  (${entry.connections} connections, ${entry.durationS} s${load})`;
  if (entry.status === 'unavailable') return `${head}\n  unavailable: ${entry.reason}`;
  if (entry.status === 'failed') return `${head}\n  FAILED: ${entry.reason}`;
  const rows = [row('saas-core', entry.result, entry.ratio, entry.cpuRatio)];
  if (entry.baseline) rows.push(row(BASELINE_TITLES[entry.baseline.name], entry.baseline.result, null, null));
  if (entry.reference) rows.push(row(BASELINE_TITLES[entry.reference.name], entry.reference.result, entry.reference.ratio, null));
  const lines = [head, table(COLUMNS, rows)];
  for (const [title, r] of [['saas-core', entry.result], [entry.baseline?.name, entry.baseline?.result]]) {
    if (r && r.requests === 0) lines.push(`  note: no request to ${title} completed in ${r.durationS} s (a loaded machine and a short run): no ratio`);
  }
  const other = Object.entries(entry.result.statusCodes).filter(([code]) => !code.startsWith('2'));
  if (other.length) lines.push(`  status codes: ${other.map(([code, count]) => `${code} × ${count}`).join(', ')}`);
  if (entry.ledger) lines.push(`  ledger: ${entry.ledger.status === 'checked' ? (entry.ledger.consistent ? 'consistent' : 'NOT CONSISTENT') : entry.ledger.reason}`);
  for (const t of entry.targets) lines.push(`  ${t.holds ? 'holds   ' : 'MISSED  '} ${t.target}`);
  return lines.join('\n');
}

/** One line per scenario, at the end of the run. */
function summaryTable(entries) {
  return table(
    ['scenario', 'status', 'req/s', 'p99 ms', 'baseline req/s', 'ratio', 'CPU ratio', 'errors', 'non-2xx', 'targets'],
    entries.map((e) =>
      e.status === 'ok'
        ? [
            e.name, 'ok', e.result.rps, e.result.latency.p99, e.baseline?.result.rps, e.ratio, e.cpuRatio, e.result.errors, e.result.non2xx,
            `${e.targets.filter((t) => t.holds).length}/${e.targets.length} hold`,
          ]
        : [e.name, e.status, null, null, null, null, null, null, null, null],
    ),
  );
}

module.exports = { scenarioTable, summaryTable };
