import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as composeEnv from '../../../../../tools/deploy-check/compose-env.cjs';
import { authConfigSchema } from './auth.config';

/**
 * docker-compose.yml gives the auth container an environment its schema
 * accepts in production, with nothing the schema does not know, and with the
 * secrets left to the environment (`${VAR:?...}`), never written in the file.
 * The compose file is read by tools/deploy-check/compose-env.cjs (anchors,
 * `<<:` merges, `${VAR:-default}` → default, `${VAR:?msg}` → a valid dummy).
 */
const compose = composeEnv.loadCompose();
const { env, raw, required } = composeEnv.serviceEnvironment('auth', compose);
const service = compose.services['auth'];

/** Set differently in containers than for `npm start` on purpose. */
const CONTAINER_SPECIFIC = ['NODE_ENV', 'HOST', 'DATA_DIR', 'PORT', 'TRUSTED_PROXIES'];

function issues(result: { success: boolean; error?: { issues: unknown[] } }): string {
  return result.success ? '' : JSON.stringify(result.error?.issues, null, 2);
}

const replicaName = 'auth-2';
const replica = composeEnv.serviceEnvironment(replicaName, compose);
const gatewayAddresses = [
  ...composeEnv.addresses('gateway', compose),
  ...composeEnv.addresses('gateway-2', compose),
];
const balancerAddresses = composeEnv.addresses('lb', compose);

describe('docker-compose.yml → auth environment', () => {
  it('is accepted by the auth schema', () => {
    const result = authConfigSchema.safeParse(env);
    expect(issues(result)).toBe('');
    expect(result.success).toBe(true);
  });

  it('sets no variable the schema does not know', () => {
    const known = new Set(Object.keys(authConfigSchema.shape));
    expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
  });

  it('logs JSON lines, for the log pipeline, and could not be told otherwise', () => {
    expect(authConfigSchema.parse(env).LOG_FORMAT).toBe('json');
    expect(authConfigSchema.safeParse({ ...env, LOG_FORMAT: 'pretty' }).success).toBe(false);
  });

  it('runs in production, listening on every interface on the API.md port', () => {
    expect(env['NODE_ENV']).toBe('production');
    expect(env['HOST']).toBe('0.0.0.0');
    expect(env['PORT']).toBe('8081');
    expect(env['AUTH_ORIGIN']).toBe('http://auth.localhost:8081');
    expect(service.ports).toContain('127.0.0.1:8081:8081');
  });

  it('serves metrics on METRICS_PORT 9181 to the compose network only, published nowhere', () => {
    expect(composeEnv.metricsReach('auth', compose)).toEqual({
      port: '9181',
      exposed: true,
      published: [],
    });
  });

  it.each(['127.0.0.1:9181:9181', '9181', '19181:9181/tcp'])(
    'would notice the metrics port published as %s',
    (entry) => {
      const published = structuredClone(compose);
      published.services['auth'].ports = [...(service.ports ?? []), entry];
      expect(composeEnv.metricsReach('auth', published).published).toEqual([entry]);
    },
  );

  it('sets every variable the schema requires in production', () => {
    const bare = authConfigSchema.safeParse({ NODE_ENV: 'production' });
    const needed = bare.success ? [] : bare.error.issues.map((issue) => String(issue.path[0]));
    expect(needed).toContain('KEY_ENCRYPTION_SECRET');
    for (const key of needed) expect(Object.keys(env)).toContain(key);
  });

  it('takes the secrets from the environment, never from the file', () => {
    expect(required['KEY_ENCRYPTION_SECRET']).toEqual(['KEY_ENCRYPTION_SECRET']);
    expect(String(raw['KEY_ENCRYPTION_SECRET'])).toMatch(/^\$\{KEY_ENCRYPTION_SECRET:\?[^}]+\}$/);
    expect(required['DATABASE_URL']).toEqual(['POSTGRES_PASSWORD']);
    const withoutSecret = Object.fromEntries(
      Object.entries(env).filter(([key]) => key !== 'KEY_ENCRYPTION_SECRET'),
    );
    expect(authConfigSchema.safeParse(withoutSecret).success).toBe(false);
  });

  it('uses PostgreSQL and Redis by their compose names, and waits for them', () => {
    const database = new URL(env['DATABASE_URL']);
    expect(database.hostname).toBe('postgres');
    expect(composeEnv.initDatabases()).toContain(database.pathname.slice(1));
    expect(new URL(env['REDIS_URL']).hostname).toBe('redis');
    expect(service.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('trusts X-Forwarded-For from the gateway and the replicas balancer only', () => {
    const result = authConfigSchema.safeParse(env);
    const trusted = result.success ? result.data.TRUSTED_PROXIES : [];
    expect(composeEnv.addresses('gateway', compose)).toHaveLength(1);
    expect(trusted).toContain(composeEnv.addresses('gateway', compose)[0]);
    for (const proxy of trusted)
      expect([...gatewayAddresses, ...balancerAddresses]).toContain(proxy);
  });

  it('keeps the values of .env.example apart from the container-specific ones', () => {
    const example = composeEnv.envExample();
    const drift = Object.keys(env)
      .filter((key) => key in example && !CONTAINER_SPECIFIC.includes(key))
      .filter((key) => env[key] !== example[key])
      .map((key) => `${key}=${env[key]} (.env.example: ${example[key]})`);
    expect(drift).toEqual([]);
  });

  it('does not bake the secret into the image', () => {
    const dockerfile = readFileSync(join(composeEnv.ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).not.toMatch(/KEY_ENCRYPTION_SECRET\s*=|POSTGRES_PASSWORD\s*=/);
  });
});

describe('docker-compose.yml → auth-2, the second replica (profile replicas)', () => {
  const port = Object.entries(composeEnv.balancer()).find(([, pool]) =>
    pool.upstream.includes(`${replicaName}:${replica.env['PORT']}`),
  );

  it('is accepted by the auth schema', () => {
    const result = authConfigSchema.safeParse(replica.env);
    expect(issues(result)).toBe('');
    expect(result.success).toBe(true);
  });

  it('sets no variable the schema does not know', () => {
    const known = new Set(Object.keys(authConfigSchema.shape));
    expect(Object.keys(replica.env).filter((key) => !known.has(key))).toEqual([]);
  });

  it('serves metrics on the same METRICS_PORT, to the compose network only', () => {
    expect(composeEnv.metricsReach(replicaName, compose)).toEqual({
      port: '9181',
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
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('differs from auth only in its drain setting, stated explicitly', () => {
    expect(composeEnv.differences(env, replica.env)).toEqual(['SHUTDOWN_DELAY_MS']);
    expect(replica.raw['SHUTDOWN_DELAY_MS']).toBeDefined();
    expect(replica.required).toEqual(required);
  });

  it('sits behind the balancer, paired with auth, on the port named 9081 in the file header', () => {
    expect(port?.[0]).toBe('9081');
    expect(port?.[1].upstream).toEqual([`auth:${env['PORT']}`, `${replicaName}:${env['PORT']}`]);
    expect(compose.services['lb'].ports).toContain('127.0.0.1:9081:9081');
  });

  it('hears of the client from the balancer, which believes the gateways only', () => {
    expect(balancerAddresses).toHaveLength(1);
    const result = authConfigSchema.safeParse(replica.env);
    expect(result.success && result.data.TRUSTED_PROXIES).toContain(balancerAddresses[0]);
    expect([...(port?.[1].realIpFrom ?? [])].sort()).toEqual([...gatewayAddresses].sort());
  });
});

describe('docker-compose.yml → the replicas profile', () => {
  it('leaves the default stack as it was: no profile on auth, cart, gateway, postgres, redis', () => {
    const unprofiled = Object.entries(compose.services)
      .filter(([, definition]) => definition.profiles === undefined)
      .map(([name]) => name)
      .sort();
    expect(unprofiled).toEqual(['auth', 'cart', 'gateway', 'postgres', 'redis']);
  });

  it('adds a second replica of each service and the balancer, nothing else', () => {
    const profiled = Object.entries(compose.services)
      .filter(([, definition]) => definition.profiles?.includes(composeEnv.REPLICAS_PROFILE))
      .map(([name]) => name)
      .sort();
    expect(profiled).toEqual(['auth-2', 'cart-2', 'gateway-2', 'lb']);
  });
});
