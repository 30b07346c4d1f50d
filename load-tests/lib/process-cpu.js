'use strict';
// CPU time a process has used so far (Linux /proc), to report CPU per
// request: on a shared machine it is steadier than requests per second,
// which also depend on how much of a core the other tenants leave us.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** The command name and user + system CPU milliseconds of `pid` (all its threads), or null once it is gone. */
function readStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks() };
  } catch {
    return null;
  }
}

/** User + system CPU milliseconds of `pid` (all its threads), or null where /proc is missing. */
function cpuMs(pid) {
  return pid ? (readStat(pid)?.ms ?? null) : null;
}

/** CPU milliseconds so far of each `postgres` process on this machine, by pid; null where /proc is missing. */
function postgresCpuSnapshot() {
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  const snapshot = new Map();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat?.command === 'postgres') snapshot.set(entry, stat.ms);
  }
  return snapshot;
}

/**
 * PostgreSQL's CPU milliseconds between two snapshots: what each process
 * still running at the end used since the start (all of it for a backend
 * that started in between). A backend that exited in between is left out,
 * so the figure can be short, never negative (the pools keep theirs open
 * while they are busy).
 */
function postgresCpuBetween(before, after) {
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

module.exports = { cpuMs, postgresCpuSnapshot, postgresCpuBetween };
