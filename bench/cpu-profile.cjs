// Preload (`NODE_OPTIONS=--require bench/cpu-profile.cjs`): samples the
// process's CPU with V8's profiler from its start, and writes the profile to
// $CPU_PROFILE_DIR/<pid>.cpuprofile when the process ends or is sent SIGTERM.
// What `node --cpu-prof` does, which NODE_OPTIONS does not allow.
'use strict';
const { Session } = require('node:inspector');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  // 250 µs between samples: enough for a request of a few hundred µs to show
  // across thousands of requests, little enough not to become the workload.
  session.post('Profiler.setSamplingInterval', { interval: 250 });
  session.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // Synchronous in practice: the inspector session answers in the same tick.
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  process.prependListener('SIGTERM', write);
  process.on('exit', write);
}
