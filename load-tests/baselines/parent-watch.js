'use strict';
// A baseline server ends with the runner that started it, however the runner ended.

/** Exits when the parent process is gone (the child is then re-parented). */
function exitWithParent() {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
  process.on('SIGTERM', () => process.exit(0));
}

module.exports = { exitWithParent };
