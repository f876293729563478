#!/usr/bin/env node
// Runs the Postman collection with newman against the built services
// (`npm run build` first; this script builds nothing): starts tools/start.mjs
// on a fresh data directory, waits for the gateway, runs
// postman/session-vs-token.postman_collection.json with the local environment,
// stops the services and exits 1 when any assertion or request failed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const newman = require('newman');
const readJson = (path) => JSON.parse(readFileSync(join(root, path), 'utf8'));

/** The ports of npm start, which the Postman environment names: topology.json's. */
const PORTS = require('./topology.cjs').SERVICES.map((service) => service.port);

function get(port, path) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

// The environment names fixed ports: refuse to test whatever already listens there.
for (const port of PORTS) {
  if ((await get(port, '/health/live')) !== 0) {
    console.error(`Port ${port} is in use (a running \`npm start\`?). Stop it, or run newman against it:
  npx newman run postman/session-vs-token.postman_collection.json -e postman/local.postman_environment.json`);
    process.exit(2);
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'svt-newman-'));
const env = { ...process.env, DATA_DIR: dataDir };
// The embedded default (SQLite under the fresh DATA_DIR) unless the caller set
// REDIS_URL, AUTH_DATABASE_URL or CART_DATABASE_URL (here or in .env, which
// start.mjs loads without overriding what is already set).
const system = spawn(process.execPath, [join(root, 'tools', 'start.mjs')], {
  cwd: root,
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let log = '';
const keep = (chunk) => {
  log += chunk;
  if (log.length > 200_000) log = log.slice(-100_000);
};
system.stdout.on('data', keep);
system.stderr.on('data', keep);
const exited = new Promise((resolve) =>
  system.on('exit', (code, signal) => resolve(signal ?? code)),
);

let stopped = false;
async function stopSystem() {
  if (stopped) return;
  stopped = true;
  if (system.exitCode === null && system.signalCode === null) system.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  rmSync(dataDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => stopSystem().then(() => process.exit(130)));
}

/** All three ready: start.mjs starts them one after another, the cart last. */
async function waitReady() {
  const deadline = Date.now() + 90_000;
  let early;
  exited.then((how) => (early = how));
  while (Date.now() < deadline) {
    if (early !== undefined)
      throw new Error(`tools/start.mjs exited (${early}) before the services were ready`);
    const statuses = await Promise.all(PORTS.map((port) => get(port, '/health/ready')));
    if (statuses.every((status) => status === 200)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `not every service answered 200 on /health/ready within 90 s (${PORTS.join(', ')})`,
  );
}

let failures = 1;
try {
  await waitReady();
  const summary = await new Promise((resolve, reject) =>
    newman.run(
      {
        collection: readJson('postman/session-vs-token.postman_collection.json'),
        environment: readJson('postman/local.postman_environment.json'),
        reporters: ['cli'],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
  failures = summary.run.failures.length + (summary.run.error ? 1 : 0);
} catch (error) {
  console.error(`newman: ${error.message}`);
  console.error('--- the services said ---\n' + log.slice(-8_000));
} finally {
  await stopSystem();
}
console.log(failures > 0 ? `newman: ${failures} failure(s)` : 'newman: all assertions passed');
process.exit(failures > 0 ? 1 : 0);
