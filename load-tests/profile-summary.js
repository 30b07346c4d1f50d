#!/usr/bin/env node
'use strict';
// Summarizes a V8 .cpuprofile (node --cpu-prof, or run-load-tests.js --cpu-prof):
// CPU time by owner (our code, each package, Node itself, GC, idle), the
// functions with the most self time, and the inclusive time of functions
// whose name matches --focus.
//   node load-tests/profile-summary.js <file.cpuprofile> [--top 25] [--focus regexp] [--skip-s seconds]
// --skip-s leaves out the first seconds of the profile (start-up, migrations, seeding).
const fs = require('node:fs');

function parseArgs(argv) {
  const args = { file: null, top: 25, focus: null, skipS: 0 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') args.top = Number(argv[++i]);
    else if (argv[i] === '--focus') args.focus = new RegExp(argv[++i]);
    else if (argv[i] === '--skip-s') args.skipS = Number(argv[++i]);
    else args.file = argv[i];
  }
  if (!args.file) throw new Error('usage: node load-tests/profile-summary.js <file.cpuprofile> [--top 25] [--focus regexp] [--skip-s seconds]');
  return args;
}

/** Who a frame belongs to: a package, our code, Node's internals, or V8's pseudo frames. */
function ownerOf(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node (internals)';
  if (/\/dist\/|\/src\//.test(url)) return 'saas-core';
  return url;
}

/** `package/file` for a dependency, `dist/file` for our own code. */
const shortUrl = (url) => (url.includes('node_modules/') ? url.replace(/^.*node_modules\//, '') : url.replace(/^file:\/\//, '').replace(/^.*\/(dist|src)\//, '$1/'));

function summarize(profile, { top, focus, skipS }) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // Time of each sample: the delta to the next one.
  const selfMs = new Map();
  let elapsedUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    elapsedUs += profile.timeDeltas[i];
    if (elapsedUs < skipS * 1e6) continue;
    const delta = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    selfMs.set(profile.samples[i], (selfMs.get(profile.samples[i]) ?? 0) + delta);
  }
  const parentOf = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  let total = 0;
  const owners = new Map();
  const functions = new Map();
  const inclusive = new Map();
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = functionName || '(anonymous)';
    total += ms;
    const owner = ownerOf(url, name);
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
    const key = `${name}  ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + ms);
    if (focus) {
      // Each matching function on the stack counts once per sample.
      const seen = new Set();
      for (let at = id; at !== undefined; at = parentOf.get(at)) {
        const frame = byId.get(at).callFrame;
        const label = `${frame.functionName || '(anonymous)'}  ${frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ''}`;
        if (focus.test(label) && !seen.has(label)) {
          seen.add(label);
          inclusive.set(label, (inclusive.get(label) ?? 0) + ms);
        }
      }
    }
  }
  const busy = total - (owners.get('(idle)') ?? 0);
  const pct = (ms, of) => `${((100 * ms) / of).toFixed(1).padStart(5)} %`;
  const lines = [`sampled ${(total / 1000).toFixed(1)} s, of which busy ${(busy / 1000).toFixed(1)} s (shares below are of busy time)`, '', 'by owner:'];
  for (const [owner, ms] of [...owners].filter(([o]) => o !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${pct(ms, busy)}  ${owner}`);
  }
  lines.push('', `top ${top} functions by self time:`);
  for (const [key, ms] of [...functions].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${pct(ms, busy)}  ${key}`);
  }
  if (focus) {
    lines.push('', `inclusive time of functions matching ${focus}:`);
    for (const [key, ms] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(ms, busy)}  ${key}`);
  }
  return lines.join('\n');
}

try {
  const args = parseArgs(process.argv.slice(2));
  process.stdout.write(`${summarize(JSON.parse(fs.readFileSync(args.file, 'utf8')), args)}\n`);
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
