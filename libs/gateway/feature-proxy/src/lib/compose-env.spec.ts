import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as composeEnv from '../../../../../tools/deploy-check/compose-env.cjs';
import type { Compose, ComposeService } from '../../../../../tools/deploy-check/compose-env.cjs';
import { docsPublic, gatewayConfigSchema } from './gateway.config';

/**
 * docker-compose.yml gives the gateway container an environment its schema
 * accepts in production, with nothing the schema does not know, and with the
 * secrets left to the environment (`${VAR:?...}`), never written in the file.
 * The compose file is read by tools/deploy-check/compose-env.cjs (anchors,
 * `<<:` merges, `${VAR:-default}` → default, `${VAR:?msg}` → a valid dummy).
 */
const compose = composeEnv.loadCompose();
const { env, required } = composeEnv.serviceEnvironment('gateway', compose);
const service = compose.services['gateway'];

/** Set differently in containers than for `npm start` on purpose. */
const CONTAINER_SPECIFIC = [
  'NODE_ENV',
  'HOST',
  'DATA_DIR',
  'PORT',
  'AUTH_URL',
  'CART_URL',
  'DEMO_DIR',
  'TRUSTED_PROXIES',
];

function issues(result: { success: boolean; error?: { issues: unknown[] } }): string {
  return result.success ? '' : JSON.stringify(result.error?.issues, null, 2);
}

/** The named volume mounted at DATA_DIR. */
function dataVolume(definition: ComposeService, dataDir: string): string | undefined {
  const mounts = (definition.volumes ?? []).map((volume) => String(volume).split(':'));
  return mounts.find(([, target]) => target === dataDir)?.[0];
}

const replicaName = 'gateway-2';
const replica = composeEnv.serviceEnvironment(replicaName, compose);
const replicaService = compose.services[replicaName];

/** `http://<service>:<that service's PORT>`. */
function expectServiceUrl(url: string, target: string): void {
  const parsed = new URL(url);
  expect(parsed.hostname).toBe(target);
  expect(parsed.port).toBe(composeEnv.serviceEnvironment(target, compose).env['PORT']);
}

describe('docker-compose.yml → gateway environment', () => {
  it('is accepted by the gateway schema', () => {
    const result = gatewayConfigSchema.safeParse(env);
    expect(issues(result)).toBe('');
    expect(result.success).toBe(true);
  });

  it('sets no variable the schema does not know', () => {
    const known = new Set(Object.keys(gatewayConfigSchema.shape));
    expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
  });

  it('logs JSON lines, for the log pipeline, and could not be told otherwise', () => {
    expect(gatewayConfigSchema.parse(env).LOG_FORMAT).toBe('json');
    expect(gatewayConfigSchema.safeParse({ ...env, LOG_FORMAT: 'pretty' }).success).toBe(false);
  });

  it('runs in production, listening on every interface on the API.md port', () => {
    expect(env['NODE_ENV']).toBe('production');
    expect(env['HOST']).toBe('0.0.0.0');
    expect(env['PORT']).toBe('8080');
    expect(env['SHOP_ORIGIN']).toBe('http://shop.localhost:8080');
    expect(service.ports).toContain('127.0.0.1:8080:8080');
  });

  it('serves metrics on METRICS_PORT 9180 to the compose network only, published nowhere', () => {
    expect(composeEnv.metricsReach('gateway', compose)).toEqual({
      port: '9180',
      exposed: true,
      published: [],
    });
  });

  it('sets every variable the schema requires in production', () => {
    const bare = gatewayConfigSchema.safeParse({ NODE_ENV: 'production' });
    const needed = bare.success ? [] : bare.error.issues.map((issue) => String(issue.path[0]));
    for (const key of needed) expect(Object.keys(env)).toContain(key);
    expect(required).toEqual({});
  });

  it('reaches auth and cart by their compose names, once they are healthy', () => {
    expectServiceUrl(env['AUTH_URL'], 'auth');
    expectServiceUrl(env['CART_URL'], 'cart');
    expect(new URL(env['REDIS_URL']).hostname).toBe('redis');
    expect(service.depends_on).toMatchObject({
      auth: { condition: 'service_healthy' },
      cart: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('keeps its identity key on a named volume mounted at DATA_DIR', () => {
    const mounts = (service.volumes ?? []).map((volume) => String(volume).split(':'));
    const dataMount = mounts.find(([, target]) => target === env['DATA_DIR']);
    expect(dataMount).toBeDefined();
    expect((compose as Compose & { volumes?: Record<string, unknown> }).volumes).toHaveProperty(
      String(dataMount?.[0]),
    );
  });

  it('serves the demo page the image carries', () => {
    const dockerfile = readFileSync(join(composeEnv.ROOT, 'Dockerfile'), 'utf8');
    expect(env['DEMO_DIR']).toBe('/app/demo');
    expect(dockerfile).toContain('DEMO_DIR=/app/demo');
    // The build puts the page into the gateway's tree, which lands in /app.
    expect(dockerfile).toContain('cp -r dist/apps/shop-web/. /out/gateway/demo/');
    expect(dockerfile).toMatch(/WORKDIR \/app\n[^]*COPY --from=build \/out\/\$\{APP\}\/ \.\//);
  });

  it('is the edge: believes X-Forwarded-For only from the balancer of the replicas profile', () => {
    // Either gateway then names the same client to auth, whichever nginx picked.
    expect(env['TRUSTED_PROXIES']).toBe(composeEnv.addresses('lb', compose)[0]);
  });

  it('is the edge: serves no /docs', () => {
    expect(docsPublic(gatewayConfigSchema.parse(env))).toBe(false);
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

describe('docker-compose.yml → gateway-2, the second replica (profile replicas)', () => {
  it('is accepted by the gateway schema', () => {
    const result = gatewayConfigSchema.safeParse(replica.env);
    expect(issues(result)).toBe('');
    expect(result.success).toBe(true);
  });

  it('sets no variable the schema does not know', () => {
    const known = new Set(Object.keys(gatewayConfigSchema.shape));
    expect(Object.keys(replica.env).filter((key) => !known.has(key))).toEqual([]);
  });

  it('serves metrics on the same METRICS_PORT, to the compose network only', () => {
    expect(composeEnv.metricsReach(replicaName, compose)).toEqual({
      port: '9180',
      exposed: true,
      published: [],
    });
  });

  it('starts only with the replicas profile, from the same image, publishing no port', () => {
    expect(replicaService.profiles).toEqual([composeEnv.REPLICAS_PROFILE]);
    expect(service.profiles).toBeUndefined();
    // The image the first gateway builds: never built again, never pulled.
    expect(replicaService.image).toEqual(service.image);
    expect(replicaService.build).toBeUndefined();
    expect(replicaService.pull_policy).toBe('never');
    expect(replicaService.ports).toBeUndefined();
    expect(replicaService.depends_on).toMatchObject({
      auth: { condition: 'service_healthy' },
      cart: { condition: 'service_healthy' },
      lb: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('differs from the gateway only in where it reaches the others and in its drain', () => {
    expect(composeEnv.differences(env, replica.env)).toEqual([
      'AUTH_URL',
      'CART_URL',
      'SHUTDOWN_DELAY_MS',
    ]);
    expect(replica.raw['SHUTDOWN_DELAY_MS']).toBeDefined();
    expect(replica.required).toEqual({});
  });

  it('signs identity tokens with the same key: the same named volume at DATA_DIR', () => {
    const volume = dataVolume(replicaService, replica.env['DATA_DIR']);
    expect(volume).toBeDefined();
    expect(volume).toBe(dataVolume(service, env['DATA_DIR']));
  });

  it('reaches auth and cart through the balancer, on the ports of their pairs', () => {
    for (const [key, target] of [
      ['AUTH_URL', 'auth'],
      ['CART_URL', 'cart'],
    ] as const) {
      const url = new URL(replica.env[key]);
      expect(url.hostname).toBe('lb');
      expect(url.port).toBe(composeEnv.balancerPortOf(target, compose));
    }
  });

  it('has the balancer as its edge: trusts its address only, which sets X-Forwarded-For', () => {
    expect(composeEnv.addresses('lb', compose)).toHaveLength(1);
    expect(replica.env['TRUSTED_PROXIES']).toBe(composeEnv.addresses('lb', compose)[0]);
    expect(composeEnv.balancerPortOf('gateway', compose)).toBe('9080');
    expect(composeEnv.balancer()['9080'].realIpFrom).toEqual([]);
    expect(compose.services['lb'].ports).toContain('127.0.0.1:9080:9080');
  });

  it('has a fixed address of its own, which the balancer believes on the auth and cart ports', () => {
    const own = composeEnv.addresses(replicaName, compose);
    expect(own).toHaveLength(1);
    expect(own).not.toEqual(composeEnv.addresses('gateway', compose));
    for (const target of ['auth', 'cart']) {
      const port = String(composeEnv.balancerPortOf(target, compose));
      expect(composeEnv.balancer()[port].realIpFrom).toEqual(
        expect.arrayContaining([...composeEnv.addresses('gateway', compose), ...own]),
      );
    }
  });
});
