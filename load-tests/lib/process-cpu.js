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

/**
 * CPU milliseconds of every `postgres` process on this machine so far, or
 * null where /proc is missing. A difference of two readings is PostgreSQL's
 * CPU over that span, short of the backends that exited in between (the
 * pools keep theirs open during a run).
 */
function postgresCpuMs() {
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  let total = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat?.command === 'postgres') total += stat.ms;
  }
  return total;
}

module.exports = { cpuMs, postgresCpuMs };
