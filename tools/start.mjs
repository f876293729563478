#!/usr/bin/env node
// Runs the three built services as local processes (`npm start`), with the
// embedded default unless .env or the environment point at real servers.
// With --replicas (`npm run start:replicas`): REPLICAS processes of each
// service (default 2) on internal ports, behind a load balancer on each public
// port. A replica stopped with SIGTERM is started again, so that a rolling
// restart can be tried by hand, one `kill -TERM <pid>` at a time.
// Every port it will bind is checked first; on a terminal the services log
// one pretty line per record, elsewhere (a pipe, a file, production) JSON.
// Unless SMTP_URL names a real server, it first starts the mail catcher
// (apps/mail-catcher: SMTP on MAIL_SMTP_PORT, default 1025; its page on
// MAIL_PORT, default 1080, at http://mail.localhost:1080) and AUTH mails there.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLoadBalancer } from './load-balancer.mjs';
import { portProblems } from './port-check.mjs';
import topology from './topology.cjs';

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
/**
 * Decided here, where the terminal is known (the services write to pipes):
 * pretty on a terminal outside production, else JSON; LOG_FORMAT, when set,
 * wins (the services refuse pretty in production).
 */
const terminal = process.stdout.isTTY === true;
const logFormat = env.LOG_FORMAT || (terminal && env.NODE_ENV !== 'production' ? 'pretty' : 'json');
const host = env.HOST || '127.0.0.1';
/**
 * A service of topology.json, its ports moved by `<VARIABLE>_PORT` and
 * `<VARIABLE>_METRICS_PORT`, its origin by its origin variable, its database
 * (when it has one) set by `<VARIABLE>_DATABASE_URL`.
 */
function defineService({ name, site, variable, originVariable, port, metricsPort, database }) {
  const bound = env[`${variable}_PORT`] || String(port);
  return {
    name,
    site,
    variable,
    port: bound,
    metricsPort: env[`${variable}_METRICS_PORT`] || String(metricsPort),
    origin: env[originVariable] || topology.origin(name, bound),
    database,
    databaseUrl: database ? env[`${variable}_DATABASE_URL`] : undefined,
  };
}
const services = topology.SERVICES.map(defineService);
const byName = Object.fromEntries(services.map((service) => [service.name, service]));
/**
 * The development mail catcher, unless SMTP_URL sends AUTH's mail to a real
 * server: one process, SMTP and HTTP on HOST.
 */
const mailCatcher = env.SMTP_URL
  ? null
  : (() => {
      const port = env.MAIL_PORT || '1080';
      const smtpPort = env.MAIL_SMTP_PORT || '1025';
      // What AUTH connects to: loopback when the catcher listens on every interface.
      const reach = ['0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host;
      return {
        port,
        smtpPort,
        origin: `http://mail.localhost:${port}`,
        smtpUrl: `smtp://${reach.includes(':') ? `[${reach}]` : reach}:${smtpPort}`,
      };
    })();
/** ANSI colours of the [name] prefixes, in the order of topology.json, then the catcher's. */
const colours = {
  ...Object.fromEntries(services.map(({ name }, i) => [name, [33, 35, 36, 32, 34][i % 5]])),
  mail: 90,
};
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
 * Where the services find each other, whatever .env says: on the public
 * ports this run binds (behind the balancers with --replicas), so that
 * moving a port with AUTH_PORT, CART_PORT or GATEWAY_PORT is enough.
 */
function wiringEnv() {
  return topology.wiringEnv(
    Object.fromEntries(services.map(({ name, port }) => [name, port])),
    Object.fromEntries(services.map(({ name, origin }) => [name, origin])),
  );
}

/**
 * Behind the balancers the services drain for at least four health-check
 * periods on SIGTERM, and the gateway (the edge) trusts the X-Forwarded-For
 * of its loopback balancer; auth trusts loopback already.
 */
function replicaEnv(service) {
  return {
    // At least that, whatever .env says: a shorter drain lets the balancer
    // send requests to a closed port.
    SHUTDOWN_DELAY_MS: String(Math.max(Number(env.SHUTDOWN_DELAY_MS ?? 0), 4 * HEALTH_INTERVAL_MS)),
    ...(service.name === 'gateway' ? { TRUSTED_PROXIES: 'loopback' } : {}),
  };
}

/**
 * What one service gets besides the wiring: AUTH the catcher's SMTP server,
 * the gateway its page's origin for the demo page to link to.
 */
function mailEnv(service) {
  if (!mailCatcher) return {};
  if (service.name === 'auth') return { SMTP_URL: mailCatcher.smtpUrl };
  if (service.name === 'gateway') return { MAIL_CATCHER_ORIGIN: mailCatcher.origin };
  return {};
}

/** Every port this run binds, with who wants it and what moves it. */
function wantedPorts() {
  const mail = mailCatcher
    ? [
        { port: Number(mailCatcher.port), host, owner: 'mail catcher', variable: 'MAIL_PORT' },
        {
          port: Number(mailCatcher.smtpPort),
          host,
          owner: 'mail catcher SMTP',
          variable: 'MAIL_SMTP_PORT',
        },
      ]
    : [];
  return mail.concat(
    services.flatMap((service) => [
      ...(args.replicas
        ? [
            {
              port: Number(service.port),
              host: '127.0.0.1',
              owner: `${service.name} balancer`,
              variable: `${service.variable}_PORT`,
            },
          ]
        : []),
      ...instances(service).flatMap(({ label, port, metricsPort }) => [
        { port: Number(port), host, owner: label, variable: `${service.variable}_PORT` },
        {
          port: Number(metricsPort),
          host,
          owner: `${label} metrics`,
          variable: `${service.variable}_METRICS_PORT`,
        },
      ]),
    ]),
  );
}

/**
 * The line a service writes once its port is bound (see startService in
 * @svt/shared/util-http), in either format: `… listening on http://<host>:<port>, …`.
 */
const LISTENING = / listening on https?:\/\/\S+:(\d+),/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

function prefix(name, stream, target, onLine = () => undefined) {
  let buffered = '';
  stream.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) {
      print(name, line, target);
      onLine(line);
    }
  });
}

function print(label, line, target = process.stdout) {
  const colour = colours[label.replace(/^lb:|-\d+$/g, '')];
  target.write(terminal ? `\x1b[${colour}m[${label}]\x1b[0m ${line}\n` : `[${label}] ${line}\n`);
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
    ...wiringEnv(),
    ...(args.replicas ? replicaEnv(service) : {}),
    ...mailEnv(service),
    LOG_FORMAT: logFormat,
    PORT: port,
    // Per process, whatever .env says: three processes cannot share one port.
    METRICS_PORT: metricsPort,
  };
  if (service.databaseUrl) childEnv.DATABASE_URL = service.databaseUrl;
  else if (!service.database) delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Resolves once this very process says it listens on its port: only then
  // can a health check on that port be answered by it and no one else.
  const listening = new Promise((resolve) =>
    prefix(label, child.stdout, process.stdout, (line) => {
      if (LISTENING.exec(line.replace(ANSI, ''))?.[1] === port) resolve();
    }),
  );
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
  return listening;
}

/**
 * Starts the mail catcher with only what it reads (HOST, PORT, SMTP_PORT) and
 * resolves once its page answers; its exit stops the run like a service's.
 */
function launchMailCatcher() {
  const main = join(root, 'dist', 'apps', 'mail-catcher', 'main.js');
  if (!existsSync(main)) {
    console.error(`${main} is missing: build first (npm start does).`);
    process.exit(1);
  }
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: {
      PATH: env.PATH ?? '',
      HOST: host,
      PORT: mailCatcher.port,
      SMTP_PORT: mailCatcher.smtpPort,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prefix('mail', child.stdout, process.stdout);
  prefix('mail', child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`mail exited (${signal ?? code}); stopping the others.`);
    stop(1);
  });
  children.push(child);
  pids.set('mail', child.pid);
}

let stopping = false;
/** Settles never: what waits on it gives way to stop(), which ends the process. */
const never = new Promise(() => undefined);
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
/**
 * Waits until the process of `name` says it listens, then until `port` (its
 * own, or its balancer's) answers ready. The ports were free when this run
 * began, so what answers is the process just started. Never resolves when
 * the run stops meanwhile (a process exited, Ctrl-C, the deadline).
 */
async function waitReady(name, listening, port) {
  const timer = setTimeout(() => {
    if (stopping) return;
    console.error(`${name} did not become ready within 60 s.`);
    stop(1);
  }, deadline - Date.now());
  await listening;
  while (!stopping && !(await ready(port))) await delay(250);
  clearTimeout(timer);
  if (stopping) await never;
}

const problems = await portProblems(wantedPorts());
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
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

if (mailCatcher) {
  launchMailCatcher();
  // No "listening" line to wait for: the port was free, so what answers is the catcher.
  await waitReady('mail', Promise.resolve(), mailCatcher.port);
}

// In the start order of topology.json. The first process of each service
// alone, as it may create what the others share (signing keys, the gateway's
// identity key); through the balancer, so that the next service finds it there.
for (const { name } of topology.START_ORDER) {
  const service = byName[name];
  const [first, ...rest] = instances(service);
  await waitReady(first.label, launch(first), service.port);
  const started = rest.map((instance) => [instance, launch(instance)]);
  for (const [instance, listening] of started)
    await waitReady(instance.label, listening, instance.port);
}

const backend =
  env.REDIS_URL || env.AUTH_DATABASE_URL
    ? 'PostgreSQL/Redis where configured'
    : `embedded (SQLite under ${env.DATA_DIR ?? '.data'}/)`;
const metricsHint = services
  .flatMap((service) =>
    instances(service).map(({ label, metricsPort }) => `${label} ${metricsPort}`),
  )
  .join(', ');
/** `SHOP  (gateway)  `: the site, and the service when it is named apart from its site. */
const siteLabel = ({ name, site }) =>
  `${site.toUpperCase().padEnd(6)}${site === name ? '' : `(${name})`}`.padEnd(17);
const count = ['one', 'two', 'three', 'four', 'five'][services.length - 1] ?? services.length;
const mailLine = mailCatcher
  ? `    ${'MAIL'.padEnd(6)}${'(catcher)'.padEnd(11)}${mailCatcher.origin}   what AUTH mails (SMTP ${mailCatcher.smtpUrl})\n`
  : `    ${'MAIL'.padEnd(17)}through SMTP_URL (no catcher)\n`;
const replicaHint = args.replicas
  ? `  Replicas: ${[...pids]
      .filter(([label]) => label !== 'mail')
      .map(([label, pid]) => `${label} (pid ${pid})`)
      .join(', ')}
  Rolling restart by hand: kill -TERM one pid, wait for "upstream … in", then the next.
`
  : '';
console.log(`
  Ready, on the ${backend} backend${args.replicas ? `, ${replicas} replicas of each behind a load balancer` : ''}:
${services.map((service) => `    ${siteLabel(service)}${service.origin}\n`).join('')}${mailLine}  Try: curl -i ${byName.gateway.origin}/health/ready
  Metrics, on internal ports only: http://127.0.0.1:<port>/metrics
    ${metricsHint}
${replicaHint}  Ctrl-C stops ${args.replicas ? 'them all' : `all ${count}`}.
`);
