#!/usr/bin/env node
// The docker compose stack, run for real (`npm run test:compose`, after
// tools/docker/test-compose.sh has an engine, Compose v2 and base images):
//   1. build the three images and the mail catcher's, `up --wait` the stack,
//      and a test mail from auth (`send-test-mail`) read back from the catcher;
//   2. the Postman collection, with the compose environment;
//   3. persistence: a user, a cart, a token pair and a session cookie made
//      before still work after `restart`, and after `down` + `up` (volumes kept);
//   4. the replicas profile: the collection through its balancer, then steady
//      traffic through it while one gateway is stopped and started;
//   5. every container's log: none holds the run's secrets, passwords, tokens
//      or cookies, and every line of the services' logs is JSON.
// It runs as its own compose project with its own image tag and fresh secrets,
// so a stack of yours keeps its volumes; at the end it removes the containers,
// networks, volumes and images it made (base images and the build cache stay).
// --keep leaves the stack up for a look. Exit 1 when any step failed.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const newman = require('newman');
const { request } = require('undici');
const { values: args } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });

const PROJECT = 'svt-compose-test';
const IMAGE_TAG = 'compose-test';
const SERVICES = ['auth', 'cart', 'gateway'];
const REPLICAS = ['auth-2', 'cart-2', 'gateway-2'];
const PORTS = {
  1080: 'mail',
  8080: 'gateway',
  8081: 'auth',
  8082: 'cart',
  9080: 'lb',
  9081: 'lb',
  9082: 'lb',
};
const SHOP = { host: 'shop.localhost:8080', origin: 'http://shop.localhost:8080' };
/** The gateway's published port, and the balancer's port in front of both gateways. */
const GATEWAY_PORTS = new Set([8080, 9080]);

const secrets = {
  KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
  SSO_COOKIE_SECRET: randomBytes(32).toString('base64url'),
  POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
};
const env = { ...process.env, ...secrets, IMAGE_TAG };
/** Every value that must never appear in a log: grows as the run sees tokens and cookies. */
const mustNotLog = new Set(Object.values(secrets));
function remember(value) {
  // Cleared cookies and short values say nothing secret.
  if (typeof value === 'string' && value.length >= 8) mustNotLog.add(value);
}
const cookieValue = (setCookie) => setCookie.split(';')[0].split('=').slice(1).join('=');
/**
 * The OpenID Provider's interaction cookies hold the uid of a sign-in in
 * progress, which is in its URLs (`/oidc/interaction/<uid>`) and so in every
 * access log by design: not a credential (the provider trusts it only beside
 * its signature cookie, `.sig`, which is never in a URL, and stays searched for).
 */
const NOT_SECRET_COOKIE = /^_interaction(_resume)?=/;

/** `docker compose` on the test's project; asynchronous, so that traffic can go on meanwhile. */
function compose(...composeArgs) {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['compose', '-p', PROJECT, ...composeArgs], {
      cwd: root,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`docker compose ${composeArgs.join(' ')} failed`)),
    );
  });
}

function composeOutput(...composeArgs) {
  const result = spawnSync('docker', ['compose', '-p', PROJECT, ...composeArgs], {
    cwd: root,
    env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0)
    throw new Error(`docker compose ${composeArgs.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const up = (...profile) => compose(...profile, 'up', '--detach', '--wait', '--wait-timeout', '180');

// --- HTTP, as a client on this machine sees the published ports -------------

async function call(port, method, path, { body, bearer, cookies } = {}) {
  const response = await request(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      ...(GATEWAY_PORTS.has(port) ? { host: SHOP.host, origin: SHOP.origin } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(cookies ? { cookie: cookies } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    // A connection per request: a pooled one would outlive a restarted container.
    reset: true,
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    json: text && response.headers['content-type']?.includes('json') ? JSON.parse(text) : undefined,
    setCookies: [response.headers['set-cookie'] ?? []].flat(),
  };
}

function expectStatus(response, status, what) {
  if (response.status !== status) {
    throw new Error(
      `${what}: expected ${status}, got ${response.status} ${JSON.stringify(response.json)}`,
    );
  }
  return response;
}

/** A user with a cart, a token pair and a cookie session, all made through the gateway. */
async function makeCustomer() {
  const email = `compose-${randomBytes(6).toString('hex')}@example.com`;
  const password = randomBytes(12).toString('base64url');
  const credentials = { email, password };
  expectStatus(
    await call(8080, 'POST', '/api/auth/register', { body: credentials }),
    201,
    'register',
  );
  const tokens = expectStatus(
    await call(8080, 'POST', '/api/auth/token', { body: credentials }),
    201,
    'token login',
  ).json;
  const login = expectStatus(
    await call(8080, 'POST', '/api/auth/session', { body: credentials }),
    201,
    'session login',
  );
  const cookies = login.setCookies.map((line) => line.split(';')[0]).join('; ');
  const put = await call(8080, 'PUT', '/api/cart/items/tea', {
    body: { quantity: 3 },
    bearer: tokens.access_token,
  });
  expectStatus(put, 200, 'cart write');
  for (const value of [password, tokens.access_token, tokens.refresh_token, login.json.csrfToken]) {
    remember(value);
  }
  for (const cookie of login.setCookies) remember(cookieValue(cookie));
  return { tokens, cookies };
}

/** What the customer made before is all still good. */
async function expectCustomerIntact({ tokens, cookies }, when) {
  const me = await call(8080, 'GET', '/api/me', { bearer: tokens.access_token });
  expectStatus(me, 200, `${when}: the old access token`);
  expectStatus(
    await call(8080, 'GET', '/api/me', { cookies }),
    200,
    `${when}: the old session cookie`,
  );
  const cart = expectStatus(
    await call(8082, 'GET', '/cart', { bearer: tokens.access_token }),
    200,
    `${when}: the cart`,
  );
  const tea = cart.json.items.find((item) => item.sku === 'tea');
  if (tea?.quantity !== 3)
    throw new Error(`${when}: the cart lost its item: ${JSON.stringify(cart.json)}`);
  console.log(`${when}: token, cookie and cart of user ${me.json.userId} all still good`);
}

// --- Postman ------------------------------------------------------------------

/**
 * The compose environment; portOffset 1000 points it at the balancer (9080–9082).
 * The mail catcher has no replica and no balancer: `mailUrl` stays as it is.
 */
function postmanEnvironment(portOffset) {
  const environment = JSON.parse(
    readFileSync(join(root, 'postman/compose.postman_environment.json'), 'utf8'),
  );
  for (const value of environment.values) {
    if (/Url$/.test(value.key) && value.key !== 'mailUrl')
      value.value = value.value.replace(/:(\d+)$/, (_, port) => `:${Number(port) + portOffset}`);
  }
  return environment;
}

async function runCollection(portOffset) {
  const summary = await new Promise((resolve, reject) =>
    newman.run(
      {
        collection: JSON.parse(
          readFileSync(join(root, 'postman/session-vs-token.postman_collection.json'), 'utf8'),
        ),
        environment: postmanEnvironment(portOffset),
        reporters: ['cli'],
        reporter: { cli: { noSummary: false, noSuccessAssertions: true } },
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
  // Everything the collection was given or handed out joins the never-logged set.
  for (const variable of summary.environment.values.all()) {
    if (/token|password|cookie|csrf/i.test(variable.key)) remember(String(variable.value));
  }
  for (const execution of summary.run.executions) {
    const response = execution.response;
    if (!response) continue;
    for (const header of response.headers.all()) {
      if (header.key.toLowerCase() === 'set-cookie' && !NOT_SECRET_COOKIE.test(header.value)) {
        remember(cookieValue(header.value));
      }
    }
    try {
      const body = JSON.parse(response.stream.toString());
      for (const key of ['access_token', 'refresh_token', 'csrfToken']) remember(body[key]);
    } catch {
      // not JSON: nothing to collect
    }
  }
  const failures = summary.run.failures.length + (summary.run.error ? 1 : 0);
  const { requests, assertions } = summary.run.stats;
  console.log(
    `newman: ${requests.total} requests, ${assertions.total} assertions, ${failures} failed`,
  );
  if (failures > 0) throw new Error(`the collection failed ${failures} time(s)`);
}

// --- replicas: a gateway stopped and started under traffic ----------------------

/**
 * Requests one after another through the balancer's gateway port from before
 * the first gateway stops until after it is back: each must answer 200.
 */
async function trafficWhileGatewayRestarts(customer) {
  const outcomes = [];
  let running = true;
  const traffic = (async () => {
    while (running) {
      const response = await call(9080, 'GET', '/api/cart', {
        bearer: customer.tokens.access_token,
      }).catch((error) => ({ status: error.code ?? 'error' }));
      outcomes.push(response.status);
      await delay(20);
    }
  })();
  await delay(1_000);
  console.log(`stopping gateway (gateway-2 stays), after ${outcomes.length} requests …`);
  await compose('--profile', 'replicas', 'stop', 'gateway');
  console.log(`starting gateway again, after ${outcomes.length} requests …`);
  await compose('--profile', 'replicas', 'up', '--detach', '--wait', 'gateway');
  await delay(2_000);
  running = false;
  await traffic;
  const answered = outcomes.filter((status) => status === 200).length;
  console.log(
    `through the balancer: ${answered} of ${outcomes.length} answered 200 while a gateway stopped and started`,
  );
  if (answered !== outcomes.length || outcomes.length < 100) {
    throw new Error(`not answered 200: ${JSON.stringify(outcomes.filter((s) => s !== 200))}`);
  }
}

// --- logs -----------------------------------------------------------------------

function dockerLogs(container) {
  const result = spawnSync('docker', ['logs', container], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`docker logs ${container}: ${result.stderr}`);
  return result.stdout + result.stderr;
}

function checkLogs() {
  const containers = [...SERVICES, ...REPLICAS, 'mail', 'lb', 'postgres', 'redis'];
  const problems = [];
  /** The types of `level` and `time` seen: one format means one pair. */
  const formats = new Set();
  let lines = 0;
  for (const service of containers) {
    // docker logs, not compose's: that one decorates lines for a terminal.
    const log = composeOutput('--profile', 'replicas', 'ps', '--all', '--quiet', service)
      .split('\n')
      .filter(Boolean)
      .map(dockerLogs)
      .join('\n');
    for (const secret of mustNotLog) {
      if (log.includes(secret)) {
        problems.push(
          `${service}: its log holds a secret, token or cookie (${secret.slice(0, 4)}…)`,
        );
      }
    }
    if (![...SERVICES, ...REPLICAS].includes(service)) continue;
    for (const line of log.split('\n').filter(Boolean)) {
      lines++;
      try {
        const entry = JSON.parse(line);
        const format = `level: ${typeof entry.level}, time: ${typeof entry.time}`;
        if (!formats.has(format)) console.log(`${service}: ${format}, as in ${line.slice(0, 120)}`);
        formats.add(format);
      } catch {
        problems.push(`${service}: not JSON: ${line.slice(0, 160)}`);
      }
    }
  }
  if (formats.size !== 1)
    problems.push(`more than one level/time format: ${[...formats].join(' | ')}`);
  console.log(
    `${lines} log lines of the services read; ${mustNotLog.size} secrets, tokens and cookies searched for in ${containers.length} containers`,
  );
  if (problems.length > 0)
    throw new Error(`\n  ${[...new Set(problems)].slice(0, 20).join('\n  ')}`);
}

// --- the run --------------------------------------------------------------------

function portTaken(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const results = [];
async function step(name, run) {
  const started = Date.now();
  console.log(`\n== ${name}`);
  try {
    await run();
    results.push({ name, ok: true, seconds: (Date.now() - started) / 1000 });
  } catch (error) {
    console.error(`!! ${name}: ${error.message}`);
    results.push({ name, ok: false, seconds: (Date.now() - started) / 1000 });
    return false;
  }
  return true;
}

function cleanUp() {
  if (args.keep) {
    console.log(
      `\n--keep: the stack stays up. Remove it with:\n  IMAGE_TAG=${IMAGE_TAG} docker compose -p ${PROJECT} --profile replicas down -v --remove-orphans`,
    );
    return;
  }
  console.log('\n== clean up');
  spawnSync(
    'docker',
    [
      'compose',
      '-p',
      PROJECT,
      '--profile',
      'replicas',
      'down',
      '--volumes',
      '--remove-orphans',
      '--timeout',
      '5',
    ],
    {
      cwd: root,
      env,
      stdio: 'inherit',
    },
  );
  spawnSync(
    'docker',
    [
      'image',
      'rm',
      ...[...SERVICES, 'mail-catcher'].map((image) => `session-vs-token/${image}:${IMAGE_TAG}`),
    ],
    {
      stdio: 'inherit',
    },
  );
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

const taken = [];
for (const [port, service] of Object.entries(PORTS))
  if (await portTaken(Number(port))) taken.push(`${port} (${service})`);
if (taken.length > 0) {
  console.error(
    `Ports in use: ${taken.join(', ')}. Stop what holds them (npm start? docker compose down?) and run again.`,
  );
  process.exit(2);
}

const started = Date.now();
let customer;
const ran =
  (await step('build the images', () => compose('--progress', 'plain', 'build'))) &&
  (await step('up --wait, and the demo page', async () => {
    await up();
    const page = await call(8080, 'GET', '/');
    expectStatus(page, 200, 'the demo page');
  })) &&
  (await step('the mail catcher: a test mail from auth arrives', async () => {
    const to = `compose-${randomBytes(6).toString('hex')}@example.test`;
    await compose('exec', '-T', 'auth', 'node', 'dist/main.js', 'send-test-mail', to);
    const path = `/api/messages?to=${encodeURIComponent(to)}`;
    const { json } = expectStatus(await call(1080, 'GET', path), 200, 'the catcher API');
    if (json?.messages?.[0]?.subject !== 'Test mail from Session vs Token') {
      throw new Error(`the catcher holds no test mail to ${to}: ${JSON.stringify(json)}`);
    }
  })) &&
  (await step('the Postman collection, compose environment', () => runCollection(0))) &&
  (await step('persistence: restart', async () => {
    customer = await makeCustomer();
    await compose('restart');
    await up();
    await expectCustomerIntact(customer, 'after restart');
  })) &&
  (await step('persistence: down + up, volumes kept', async () => {
    await compose('down');
    await up();
    await expectCustomerIntact(customer, 'after down + up');
  })) &&
  (await step('replicas profile: up --wait', () => up('--profile', 'replicas'))) &&
  (await step('replicas profile: the Postman collection through the balancer', () =>
    runCollection(1000),
  )) &&
  (await step('replicas profile: a gateway stopped and started under traffic', () =>
    trafficWhileGatewayRestarts(customer),
  ));
await step('logs: no secrets, every service line JSON', () => checkLogs());
cleanUp();

const failed = results.filter((result) => !result.ok).length;
console.log('\n== test:compose');
for (const result of results)
  console.log(
    `${result.ok ? 'ok  ' : 'FAIL'} ${result.seconds.toFixed(0).padStart(4)} s  ${result.name}`,
  );
console.log(
  `${results.length - failed} passed, ${failed} failed in ${Math.round((Date.now() - started) / 1000)} s`,
);
process.exit(failed > 0 || !ran ? 1 : 0);
