// @ts-check
'use strict';
/**
 * The service topology of topology.json, for the tools (tools/start.mjs, the
 * deploy checks) and the tests (the e2e harness, the compose-env specs; typed
 * by topology.d.cts). Each service of `services`, in the order the tools list
 * them:
 * - `site`: the public site it answers as, `http://<site>.localhost:<port>`,
 *   named by `<SITE>_ORIGIN` (the gateway answers as SHOP);
 * - `port`, `metricsPort`: its public port and its internal /metrics port,
 *   moved by `<NAME>_PORT` and `<NAME>_METRICS_PORT` under npm start;
 * - `database`: whether it has a database of its own (DATABASE_URL);
 * - `calls`: the services it sends requests to, at `<NAME>_URL` (AUTH calls the
 *   relying parties of single sign-on only once they run, so it still starts first).
 * `startOrder`: AUTH first, as the others load its public keys when they
 * start; then the gateway, whose identity-token keys CART loads when it starts.
 */
const topology = require('../topology.json');

/** A service of topology.json with the names of its variables. */
function withVariables(name) {
  const service = topology.services[name];
  const variable = name.toUpperCase();
  return Object.freeze({
    name,
    ...service,
    calls: Object.freeze([...service.calls]),
    variable,
    originVariable: `${service.site.toUpperCase()}_ORIGIN`,
    urlVariable: `${variable}_URL`,
  });
}

const SERVICES = Object.freeze(Object.keys(topology.services).map(withVariables));
const byName = new Map(SERVICES.map((service) => [service.name, service]));

/** The service called `name`; a name topology.json does not know is a TypeError. */
function service(name) {
  const found = byName.get(name);
  if (!found) throw new TypeError(`no service "${name}" in topology.json`);
  return found;
}

const START_ORDER = Object.freeze(topology.startOrder.map(service));

/** The public origin of a service when it listens on `port`. */
function origin(name, port = service(name).port) {
  return `http://${service(name).site}.localhost:${port}`;
}

/**
 * Where the services find each other: every origin, and the internal URL of
 * every service another one calls, all given to every process (each schema
 * reads what it needs). `ports` are the public ports (on 127.0.0.1), `origins`
 * the public origins when they are not `origin(name, port)`.
 * @param {Record<string, number | string>} ports
 * @param {Record<string, string>} [origins]
 * @returns {Record<string, string>}
 */
function wiringEnv(ports, origins = {}) {
  const called = new Set(SERVICES.flatMap((caller) => caller.calls));
  return Object.fromEntries([
    ...SERVICES.map((s) => [s.originVariable, origins[s.name] ?? origin(s.name, ports[s.name])]),
    ...SERVICES.filter((s) => called.has(s.name)).map((s) => [
      s.urlVariable,
      `http://127.0.0.1:${ports[s.name]}`,
    ]),
  ]);
}

module.exports = { SERVICES, START_ORDER, service, origin, wiringEnv };
