#!/usr/bin/env node
// Runs the three built services as local processes (`npm start`), with the
// embedded default unless .env or the environment point at real servers.
// With --replicas (`npm run start:replicas`): REPLICAS processes of each
// service (default 2) on internal ports, behind a load balancer on each public
// port. A replica stopped with SIGTERM is started again, so that a rolling
// restart can be tried by hand, one `kill -TERM <pid>` at a time.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLoadBalancer } from './load-balancer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));

const env = process.env;
const { values: args } = parseArgs({ options: { replicas: { type: 'boolean', default: false } } });
const replicas = args.replicas ? Number(env.REPLICAS ?? 2) : 1;
if (!Number.isInteger(replicas) || replicas < 1) {
  console.error(`REPLICAS must be a whole number of at least 1, not ${env.REPLICAS}.`);
  process.exit(64);
}
/** How often a balancer checks readiness; a draining replica must stay up longer than that. */
const HEALTH_INTERVAL_MS = 250;
const services = [
  {
    name: 'auth',
    port: env.AUTH_PORT ?? '8081',
    metricsPort: env.AUTH_METRICS_PORT ?? '9181',
    origin: env.AUTH_ORIGIN ?? 'http://auth.localhost:8081',
    database: env.AUTH_DATABASE_URL,
  },
  {
    name: 'cart',
    port: env.CART_PORT ?? '8082',
    metricsPort: env.CART_METRICS_PORT ?? '9182',
    origin: env.CART_ORIGIN ?? 'http://cart.localhost:8082',
    database: env.CART_DATABASE_URL,
  },
  {
    name: 'gateway',
    port: env.GATEWAY_PORT ?? '8080',
    metricsPort: env.GATEWAY_METRICS_PORT ?? '9180',
    origin: env.SHOP_ORIGIN ?? 'http://shop.localhost:8080',
  },
];
const colours = { auth: 35, cart: 36, gateway: 33 };
const children = [];
const balancers = [];
/** Label → pid of the current process, for the kill -TERM hint. */
const pids = new Map();

/**
 * The processes of a service: one on its public port, or with --replicas one
 * per internal port (public + 10000, + 100 per replica: 18081, 18181 … for auth).
 * Each has a metrics port of its own (+ 100 per replica: 9181, 9281 … for auth).
 */
function instances(service) {
  if (!args.replicas) {
    return [{ service, label: service.name, port: service.port, metricsPort: service.metricsPort }];
  }
  return Array.from({ length: replicas }, (_, i) => ({
    service,
    label: `${service.name}-${i + 1}`,
    port: String(Number(service.port) + 10_000 + 100 * i),
    metricsPort: String(Number(service.metricsPort) + 100 * i),
  }));
}

/**
 * Behind the balancers the services call each other through them, drain for
 * at least four health-check periods on SIGTERM, and the gateway (the edge) trusts the
 * X-Forwarded-For of its loopback balancer; auth trusts loopback already.
 */
function replicaEnv(service) {
  const [auth, cart, gateway] = services;
  return {
    AUTH_URL: `http://127.0.0.1:${auth.port}`,
    CART_URL: `http://127.0.0.1:${cart.port}`,
    GATEWAY_URL: `http://127.0.0.1:${gateway.port}`,
    // At least that, whatever .env says: a shorter drain lets the balancer
    // send requests to a closed port.
    SHUTDOWN_DELAY_MS: String(Math.max(Number(env.SHUTDOWN_DELAY_MS ?? 0), 4 * HEALTH_INTERVAL_MS)),
    ...(service.name === 'gateway' ? { TRUSTED_PROXIES: 'loopback' } : {}),
  };
}

function prefix(name, stream, target) {
  let buffered = '';
  stream.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) print(name, line, target);
  });
}

function print(label, line, target = process.stdout) {
  const colour = colours[label.replace(/^lb:|-\d+$/g, '')];
  target.write(`\x1b[${colour}m[${label}]\x1b[0m ${line}\n`);
}

function launch(instance) {
  const { service, label, port, metricsPort } = instance;
  const main = join(root, 'dist', 'apps', service.name, 'main.js');
  if (!existsSync(main)) {
    console.error(`${main} is missing: build first (npm start does).`);
    process.exit(1);
  }
  const childEnv = {
    ...env,
    ...(args.replicas ? replicaEnv(service) : {}),
    PORT: port,
    // Per process, whatever .env says: three processes cannot share one port.
    METRICS_PORT: metricsPort,
  };
  if (service.database) childEnv.DATABASE_URL = service.database;
  else if (service.name === 'gateway') delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prefix(label, child.stdout, process.stdout);
  prefix(label, child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    // A replica that shut down cleanly (kill -TERM) comes back on its port while
    // the balancer routes around it: a rolling restart, one kill at a time.
    if (args.replicas && code === 0) {
      print(label, 'exited after SIGTERM; starting it again');
      launch(instance);
      return;
    }
    console.error(`${label} exited (${signal ?? code}); stopping the others.`);
    stop(1);
  });
  children.push(child);
  pids.set(label, child.pid);
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
  )
    .then(() => Promise.all(balancers.map((balancer) => balancer.close())))
    .then(() => process.exit(code));
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
async function waitReady(name, port) {
  while (!(await ready(port))) {
    if (stopping) process.exit(1);
    if (Date.now() > deadline) {
      console.error(`${name} did not become ready within 60 s.`);
      stop(1);
      return;
    }
    await delay(250);
  }
}

if (args.replicas) {
  for (const service of services) {
    const balancer = await startLoadBalancer({
      port: Number(service.port),
      upstreams: instances(service).map(({ port }) => `127.0.0.1:${port}`),
      healthIntervalMs: HEALTH_INTERVAL_MS,
      log: (line) => print(`lb:${service.name}`, line),
    });
    balancers.push(balancer);
  }
}

// AUTH first: the others load its public keys when they start. The first
// process of each service alone, as it may create what the others share
// (signing keys, the gateway's identity key); through the balancer, so that
// the next service finds it there.
for (const service of services) {
  const [first, ...rest] = instances(service);
  launch(first);
  await waitReady(first.label, service.port);
  rest.forEach(launch);
  for (const instance of rest) await waitReady(instance.label, instance.port);
}

const backend =
  env.REDIS_URL || env.AUTH_DATABASE_URL
    ? 'PostgreSQL/Redis where configured'
    : `embedded (SQLite under ${env.DATA_DIR ?? '.data'}/)`;
const metricsHint = [services[2], services[0], services[1]]
  .flatMap((service) =>
    instances(service).map(({ label, metricsPort }) => `${label} ${metricsPort}`),
  )
  .join(', ');
const replicaHint = args.replicas
  ? `  Replicas: ${[...pids].map(([label, pid]) => `${label} (pid ${pid})`).join(', ')}
  Rolling restart by hand: kill -TERM one pid, wait for "upstream … in", then the next.
`
  : '';
console.log(`
  Ready, on the ${backend} backend${args.replicas ? `, ${replicas} replicas of each behind a load balancer` : ''}:
    SHOP  (gateway)  ${services[2].origin}
    AUTH             ${services[0].origin}
    CART             ${services[1].origin}
  Try: curl -i ${services[2].origin}/health/ready
  Metrics, on internal ports only: http://127.0.0.1:<port>/metrics
    ${metricsHint}
${replicaHint}  Ctrl-C stops ${args.replicas ? 'them all' : 'all three'}.
`);
