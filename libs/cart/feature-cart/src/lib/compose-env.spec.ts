import * as composeEnv from '../../../../../tools/deploy-check/compose-env.cjs';
import { cartConfigSchema } from './cart.config';

/**
 * docker-compose.yml gives the cart container an environment its schema
 * accepts in production, with nothing the schema does not know, and with the
 * secrets left to the environment (`${VAR:?...}`), never written in the file.
 * The compose file is read by tools/deploy-check/compose-env.cjs (anchors,
 * `<<:` merges, `${VAR:-default}` → default, `${VAR:?msg}` → a valid dummy).
 */
const compose = composeEnv.loadCompose();
const { env, required } = composeEnv.serviceEnvironment('cart', compose);
const service = compose.services['cart'];

/** Set differently in containers than for `npm start` on purpose. */
const CONTAINER_SPECIFIC = ['NODE_ENV', 'HOST', 'DATA_DIR', 'PORT', 'AUTH_URL', 'GATEWAY_URL'];

function issues(result: { success: boolean; error?: { issues: unknown[] } }): string {
  return result.success ? '' : JSON.stringify(result.error?.issues, null, 2);
}

const replicaName = 'cart-2';
const replica = composeEnv.serviceEnvironment(replicaName, compose);

/** `http://<service>:<that service's PORT>`. */
function expectServiceUrl(url: string, target: string): void {
  const parsed = new URL(url);
  expect(parsed.hostname).toBe(target);
  expect(parsed.port).toBe(composeEnv.serviceEnvironment(target, compose).env['PORT']);
}

describe('docker-compose.yml → cart environment', () => {
  it('is accepted by the cart schema', () => {
    const result = cartConfigSchema.safeParse(env);
    expect(issues(result)).toBe('');
    expect(result.success).toBe(true);
  });

  it('sets no variable the schema does not know', () => {
    const known = new Set(Object.keys(cartConfigSchema.shape));
    expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
  });

  it('logs JSON lines, for the log pipeline, and could not be told otherwise', () => {
    expect(cartConfigSchema.parse(env).LOG_FORMAT).toBe('json');
    expect(cartConfigSchema.safeParse({ ...env, LOG_FORMAT: 'pretty' }).success).toBe(false);
  });

  it('runs in production, listening on every interface on the API.md port', () => {
    expect(env['NODE_ENV']).toBe('production');
    expect(env['HOST']).toBe('0.0.0.0');
    expect(env['PORT']).toBe('8082');
    expect(env['CART_ORIGIN']).toBe('http://cart.localhost:8082');
    expect(service.ports).toContain('127.0.0.1:8082:8082');
  });

  it('serves metrics on METRICS_PORT 9182 to the compose network only, published nowhere', () => {
    expect(composeEnv.metricsReach('cart', compose)).toEqual({
      port: '9182',
      exposed: true,
      published: [],
    });
  });

  it('sets every variable the schema requires in production', () => {
    const bare = cartConfigSchema.safeParse({ NODE_ENV: 'production' });
    const needed = bare.success ? [] : bare.error.issues.map((issue) => String(issue.path[0]));
    for (const key of needed) expect(Object.keys(env)).toContain(key);
  });

  it('takes the database password from the environment, never from the file', () => {
    expect(required).toEqual({ DATABASE_URL: ['POSTGRES_PASSWORD'] });
  });

  it('uses PostgreSQL, Redis, auth and the gateway by their compose names', () => {
    const database = new URL(env['DATABASE_URL']);
    expect(database.hostname).toBe('postgres');
    expect(composeEnv.initDatabases()).toContain(database.pathname.slice(1));
    expect(database.pathname).not.toBe(
      new URL(composeEnv.serviceEnvironment('auth', compose).env['DATABASE_URL']).pathname,
    );
    expect(new URL(env['REDIS_URL']).hostname).toBe('redis');
    expectServiceUrl(env['AUTH_URL'], 'auth');
    expectServiceUrl(env['GATEWAY_URL'], 'gateway');
    expect(service.depends_on).toMatchObject({
      auth: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('keeps the values of .env.example apart from the container-specific ones', () => {
    const example = composeEnv.envExample();
    const drift = Object.keys(env)
      .filter((key) => key in example && !CONTAINER_SPECIFIC.includes(key))
      .filter((key) => env[key] !== example[key])
      .map((key) => `${key}=${env[key]} (.env.example: ${example[key]})`);
    expect(drift).toEqual([]);
  });
});

describe('docker-compose.yml → cart-2, the second replica (profile replicas)', () => {
  it('is accepted by the cart schema', () => {
    const result = cartConfigSchema.safeParse(replica.env);
    expect(issues(result)).toBe('');
    expect(result.success).toBe(true);
  });

  it('sets no variable the schema does not know', () => {
    const known = new Set(Object.keys(cartConfigSchema.shape));
    expect(Object.keys(replica.env).filter((key) => !known.has(key))).toEqual([]);
  });

  it('serves metrics on the same METRICS_PORT, to the compose network only', () => {
    expect(composeEnv.metricsReach(replicaName, compose)).toEqual({
      port: '9182',
      exposed: true,
      published: [],
    });
  });

  it('starts only with the replicas profile, from the same image, publishing no port', () => {
    const definition = compose.services[replicaName];
    expect(definition.profiles).toEqual([composeEnv.REPLICAS_PROFILE]);
    expect(service.profiles).toBeUndefined();
    // The image the first replica builds: never built again, never pulled.
    expect(definition.image).toEqual(service.image);
    expect(definition.build).toBeUndefined();
    expect(definition.pull_policy).toBe('never');
    expect(definition.ports).toBeUndefined();
    expect(definition.depends_on).toMatchObject({
      lb: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('shares the database of cart, and differs only in where it reaches the others', () => {
    expect(composeEnv.differences(env, replica.env)).toEqual([
      'AUTH_URL',
      'GATEWAY_URL',
      'SHUTDOWN_DELAY_MS',
    ]);
    expect(replica.raw['SHUTDOWN_DELAY_MS']).toBeDefined();
    expect(replica.required).toEqual(required);
  });

  it('reaches auth and the gateways through the balancer, on the ports of their pairs', () => {
    for (const [key, target] of [
      ['AUTH_URL', 'auth'],
      ['GATEWAY_URL', 'gateway'],
    ] as const) {
      const url = new URL(replica.env[key]);
      expect(url.hostname).toBe('lb');
      expect(url.port).toBe(composeEnv.balancerPortOf(target, compose));
    }
  });

  it('sits behind the balancer, paired with cart, on the port named 9082 in the file header', () => {
    expect(composeEnv.balancerPortOf('cart', compose)).toBe('9082');
    expect(compose.services['lb'].ports).toContain('127.0.0.1:9082:9082');
  });
});
