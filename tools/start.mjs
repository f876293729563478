#!/usr/bin/env node
// Runs the three built services as local processes (`npm start`), with the
// embedded default unless .env or the environment point at real servers.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));

const env = process.env;
const services = [
  {
    name: 'auth',
    port: env.AUTH_PORT ?? '8081',
    origin: env.AUTH_ORIGIN ?? 'http://auth.localhost:8081',
    database: env.AUTH_DATABASE_URL,
  },
  {
    name: 'cart',
    port: env.CART_PORT ?? '8082',
    origin: env.CART_ORIGIN ?? 'http://cart.localhost:8082',
    database: env.CART_DATABASE_URL,
  },
  {
    name: 'gateway',
    port: env.GATEWAY_PORT ?? '8080',
    origin: env.SHOP_ORIGIN ?? 'http://shop.localhost:8080',
  },
];
const colours = { auth: 35, cart: 36, gateway: 33 };
const children = [];

function prefix(name, stream, target) {
  let buffered = '';
  stream.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) target.write(`\x1b[${colours[name]}m[${name}]\x1b[0m ${line}\n`);
  });
}

function launch(service) {
  const main = join(root, 'dist', 'apps', service.name, 'main.js');
  if (!existsSync(main)) {
    console.error(`${main} is missing: build first (npm start does).`);
    process.exit(1);
  }
  const childEnv = { ...env, PORT: service.port };
  if (service.database) childEnv.DATABASE_URL = service.database;
  else if (service.name === 'gateway') delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prefix(service.name, child.stdout, process.stdout);
  prefix(service.name, child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${service.name} exited (${signal ?? code}); stopping the others.`);
      stop(1);
    }
  });
  children.push(child);
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 5_000).unref();
  Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve))),
    ),
  ).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

function ready(port) {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/health/ready', timeout: 1_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const deadline = Date.now() + 60_000;
async function waitReady(service) {
  while (!(await ready(service.port))) {
    if (stopping) process.exit(1);
    if (Date.now() > deadline) {
      console.error(`${service.name} did not become ready within 60 s.`);
      stop(1);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// AUTH first: the others load its public keys when they start.
const [auth, ...others] = services;
launch(auth);
await waitReady(auth);
others.forEach(launch);
for (const service of others) await waitReady(service);

const backend =
  env.REDIS_URL || env.AUTH_DATABASE_URL
    ? 'PostgreSQL/Redis where configured'
    : `embedded (SQLite under ${env.DATA_DIR ?? '.data'}/)`;
console.log(`
  Ready, on the ${backend} backend:
    SHOP  (gateway)  ${services[2].origin}
    AUTH             ${services[0].origin}
    CART             ${services[1].origin}
  Try: curl -i ${services[2].origin}/health/ready
  Ctrl-C stops all three.
`);
