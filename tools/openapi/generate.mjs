#!/usr/bin/env node
// Regenerates docs/openapi/{auth,gateway,cart}.json (`npm run docs:openapi`):
// starts the three built services on free ports (their metrics ports too, so
// that a running `npm start` is no obstacle) with the embedded store in a temp
// dir, fetches each one's /docs/openapi.json and writes it formatted.
// The documents hold nothing run-dependent (server URL `/`), so the e2e
// drift specs compare them with the committed files as they are.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const names = ['auth', 'cart', 'gateway'];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForDocument(name, url, child, deadline) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return await response.json();
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name}: no ${url} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

for (const name of names) {
  if (!existsSync(join(root, 'dist', 'apps', name, 'main.js'))) {
    console.error(`dist/apps/${name}/main.js is missing: run \`npm run build\` first.`);
    process.exit(1);
  }
}

const dataDir = await mkdtemp(join(tmpdir(), 'svt-openapi-'));
const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()])));
const metricsPorts = Object.fromEntries(
  await Promise.all(names.map(async (n) => [n, await freePort()])),
);
const env = {
  PATH: process.env.PATH ?? '',
  NODE_ENV: 'test',
  NO_COLOR: '1',
  HOST: '127.0.0.1',
  DATA_DIR: dataDir,
  SHOP_ORIGIN: `http://shop.localhost:${ports.gateway}`,
  AUTH_ORIGIN: `http://auth.localhost:${ports.auth}`,
  CART_ORIGIN: `http://cart.localhost:${ports.cart}`,
  AUTH_URL: `http://127.0.0.1:${ports.auth}`,
  CART_URL: `http://127.0.0.1:${ports.cart}`,
  GATEWAY_URL: `http://127.0.0.1:${ports.gateway}`,
};
const children = [];
let stderr = '';
try {
  for (const name of names) {
    const child = spawn(process.execPath, [join('dist', 'apps', name, 'main.js')], {
      cwd: root,
      env: { ...env, PORT: String(ports[name]), METRICS_PORT: String(metricsPorts[name]) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (chunk) => (stderr += `[${name}] ${chunk}`));
    children.push(child);
    const url = `http://127.0.0.1:${ports[name]}/docs/openapi.json`;
    const document = await waitForDocument(name, url, child, Date.now() + 30_000);
    const file = join(root, 'docs', 'openapi', `${name}.json`);
    const options = (await prettier.resolveConfig(file)) ?? {};
    await writeFile(
      file,
      await prettier.format(JSON.stringify(document), { ...options, filepath: file }),
    );
    console.log(`wrote docs/openapi/${name}.json`);
  }
} catch (error) {
  console.error(String(error));
  if (stderr) console.error(stderr);
  process.exitCode = 1;
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((child) =>
      child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null,
    ),
  );
  await rm(dataDir, { recursive: true, force: true });
}
