// @ts-check
'use strict';
/**
 * Reads docker-compose.yml the way Compose does for the parts the services'
 * config schemas care about: YAML anchors and `<<:` merge keys, then `${...}`
 * interpolation. Used by the `compose-env.spec.ts` of each service, through
 * describe-compose-service.ts (typed by compose-env.d.cts), and by
 * tools/deploy-check/run.sh; `balancer()` reads
 * the nginx config of the `replicas` profile. Deterministic: the caller's environment and any
 * .env file are ignored; `${VAR:-default}` takes its default, `${VAR:?msg}`
 * a valid dummy from REQUIRED_DUMMIES.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const YAML = require('yaml');
const { SERVICES } = require('../topology.cjs');

const ROOT = join(__dirname, '..', '..');

/** Valid stand-ins for the variables compose refuses to start without. */
const REQUIRED_DUMMIES = Object.freeze({
  KEY_ENCRYPTION_SECRET: 'compose-env-spec-dummy-secret-0123456789abcdef',
  POSTGRES_PASSWORD: 'compose-env-spec-dummy-password',
  SSO_COOKIE_SECRET: 'compose-env-spec-dummy-sso-cookie-secret-0123456789',
});

/** The parsed compose file, merge keys applied. */
function loadCompose(file = join(ROOT, 'docker-compose.yml')) {
  const doc = YAML.parseDocument(readFileSync(file, 'utf8'), { merge: true });
  if (doc.errors.length > 0) throw new Error(doc.errors.map(String).join('\n'));
  return doc.toJS({ maxAliasCount: 100 });
}

/**
 * Compose interpolation: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?m},
 * ${VAR?m}, ${VAR:+r}, ${VAR+r}. `vars` are the variables treated as set.
 * Returns the value and the names of the required (`?`) variables it used.
 */
function interpolate(value, vars = {}) {
  const required = [];
  const pattern =
    /\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\})/g;
  const out = String(value).replace(pattern, (_m, dollar, bare, name, op, arg) => {
    if (dollar) return '$';
    const key = bare ?? name;
    const set = Object.prototype.hasOwnProperty.call(vars, key);
    const current = set ? String(vars[key]) : undefined;
    const present = op && op.startsWith(':') ? current !== undefined && current !== '' : set;
    switch (op) {
      case undefined:
        return current ?? '';
      case '-':
      case ':-':
        return present ? current : arg;
      case '+':
      case ':+':
        return present ? arg : '';
      case '?':
      case ':?': {
        required.push(key);
        if (present) return current;
        if (key in REQUIRED_DUMMIES) return REQUIRED_DUMMIES[key];
        throw new Error(`\${${key}${op}${arg}} is required; add a dummy to REQUIRED_DUMMIES`);
      }
      default:
        throw new Error(`unsupported interpolation ${op}`);
    }
  });
  return { value: out, required };
}

/** `environment:` as a map (Compose also allows a list of KEY=VALUE). */
function rawEnvironment(compose, service) {
  const definition = compose.services?.[service];
  if (!definition) throw new Error(`no service "${service}" in docker-compose.yml`);
  const environment = definition.environment ?? {};
  if (!Array.isArray(environment)) return { ...environment };
  return Object.fromEntries(
    environment.map((entry) => {
      const at = String(entry).indexOf('=');
      return at < 0 ? [entry, undefined] : [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

/**
 * The environment a service's container gets: every value a string, as the
 * process sees it. `required` lists the variables each value demanded with
 * `${VAR:?...}` (the secrets that must come from the environment / .env).
 */
function serviceEnvironment(service, compose = loadCompose()) {
  const raw = rawEnvironment(compose, service);
  /** @type {Record<string, string>} */
  const env = {};
  /** @type {Record<string, string[]>} */
  const required = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined || value === null) continue; // passed through from the host
    const result = interpolate(typeof value === 'string' ? value : String(value));
    env[key] = result.value;
    if (result.required.length > 0) required[key] = result.required;
  }
  return { env, raw, required };
}

/** The uncommented, non-empty assignments of .env.example. */
function envExample(file = join(ROOT, '.env.example')) {
  /** @type {Record<string, string>} */
  const values = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match && match[2] !== '') values[match[1]] = match[2];
  }
  return values;
}

/** Database names created by docker/postgres-init.sql. */
function initDatabases(file = join(ROOT, 'docker', 'postgres-init.sql')) {
  const sql = readFileSync(file, 'utf8').replace(/--.*$/gm, '');
  return [...sql.matchAll(/CREATE\s+DATABASE\s+"?([A-Za-z0-9_]+)"?/gi)].map((m) => m[1]);
}

/** The profile that adds the second replicas and their load balancer. */
const REPLICAS_PROFILE = 'replicas';

/** The blocks of an nginx config at one level: `name args { body }`, comments dropped. */
function nginxBlocks(text) {
  const clean = text.replace(/#[^\n]*/g, '');
  /** @type {{ name: string, args: string, body: string }[]} */
  const blocks = [];
  let depth = 0;
  let start = 0;
  let head = '';
  for (let i = 0; i < clean.length; i += 1) {
    const c = clean[i];
    if (c === '{') {
      if (depth === 0) {
        head = clean.slice(start, i).trim().split(';').pop().trim();
        start = i + 1;
      }
      depth += 1;
    } else if (c === '}') {
      depth -= 1;
      if (depth === 0) {
        const [name, ...args] = head.split(/\s+/);
        blocks.push({ name, args: args.join(' '), body: clean.slice(start, i) });
        start = i + 1;
      }
    } else if (c === ';' && depth === 0) {
      start = i + 1;
    }
  }
  return blocks;
}

/** Every value of `directive` in an nginx block body, nested blocks included. */
function nginxValues(body, directive) {
  const pattern = new RegExp(`(?:^|[;{}\\s])${directive}\\s+([^;]+);`, 'g');
  return [...body.matchAll(pattern)].map((m) => m[1].trim());
}

/**
 * What the replicas' balancer (docker/nginx/replicas.conf) does, per port it
 * listens on: the `host:port` of the replicas behind it, and the peers whose
 * X-Forwarded-For it believes (`set_real_ip_from`).
 * @returns {Record<string, { upstream: string[], realIpFrom: string[] }>}
 */
function balancer(file = join(ROOT, 'docker', 'nginx', 'replicas.conf')) {
  const blocks = nginxBlocks(readFileSync(file, 'utf8'));
  const upstreams = Object.fromEntries(
    blocks
      .filter((b) => b.name === 'upstream')
      .map((b) => [b.args, nginxValues(b.body, 'server').map((v) => v.split(/\s+/)[0])]),
  );
  /** @type {Record<string, { upstream: string[], realIpFrom: string[] }>} */
  const ports = {};
  for (const server of blocks.filter((b) => b.name === 'server')) {
    const target = nginxValues(server.body, 'proxy_pass')[0];
    if (!target) continue;
    const name = target.replace(/^http:\/\//, '');
    for (const listen of nginxValues(server.body, 'listen')) {
      ports[listen.split(':').pop()] = {
        upstream: upstreams[name] ?? [],
        realIpFrom: nginxValues(server.body, 'set_real_ip_from'),
      };
    }
  }
  return ports;
}

/**
 * The balancer port whose pool is `<service>:<PORT>` and `<service>-2:<PORT>`.
 * @returns {string | undefined}
 */
function balancerPortOf(service, compose = loadCompose()) {
  const port = serviceEnvironment(service, compose).env['PORT'];
  return Object.entries(balancer()).find(
    ([, pool]) =>
      pool.upstream.length === 2 &&
      pool.upstream[0] === `${service}:${port}` &&
      pool.upstream[1] === `${service}-2:${port}`,
  )?.[0];
}

/**
 * The fixed addresses (`ipv4_address`) a service has on its networks.
 * @returns {string[]}
 */
function addresses(service, compose = loadCompose()) {
  const networks = compose.services[service]?.networks;
  if (!networks || Array.isArray(networks)) return [];
  return Object.values(networks)
    .map((network) => network?.ipv4_address)
    .filter((address) => address !== undefined);
}

/**
 * Where a service's METRICS_PORT can be reached from: `exposed` when its
 * `expose:` lists the port (the compose networks), `published` the `ports:`
 * entries that map it to the host (there should be none).
 * @returns {{ port: string | undefined, exposed: boolean, published: string[] }}
 */
function metricsReach(service, compose = loadCompose()) {
  const port = serviceEnvironment(service, compose).env['METRICS_PORT'];
  const definition = compose.services[service] ?? {};
  /** The container side of `ports:` entries, short (`[ip:]host:container[/proto]`) or long. */
  const target = (entry) =>
    typeof entry === 'object' && entry !== null
      ? String(entry.target)
      : String(entry).split(':').pop().split('/')[0];
  return {
    port,
    exposed: (definition.expose ?? []).map(String).includes(port),
    published: (definition.ports ?? []).filter((entry) => target(entry) === port).map(String),
  };
}

/**
 * The variables whose values differ between two environments, sorted.
 * @returns {string[]}
 */
function differences(a, b) {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((key) => a[key] !== b[key])
    .sort();
}

module.exports = {
  ROOT,
  REPLICAS_PROFILE,
  addresses,
  balancer,
  balancerPortOf,
  differences,
  metricsReach,
  REQUIRED_DUMMIES,
  loadCompose,
  interpolate,
  serviceEnvironment,
  envExample,
  initDatabases,
};

if (require.main === module) {
  // node tools/deploy-check/compose-env.cjs [service...]: print what each gets.
  const compose = loadCompose();
  const services = process.argv.slice(2);
  const all = SERVICES.flatMap(({ name }) => [name, `${name}-2`]).sort();
  for (const name of services.length ? services : all) {
    const { env } = serviceEnvironment(name, compose);
    process.stdout.write(`${name}: ${Object.keys(env).sort().join(' ')}\n`);
  }
}
