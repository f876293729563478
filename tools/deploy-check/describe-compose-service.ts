import type { ZodObject } from 'zod';
import * as topology from '../topology.cjs';
import type { ServiceName, ServiceTopology } from '../topology.cjs';
import * as composeEnv from './compose-env.cjs';
import type { Compose, ComposeService, ServiceEnvironment } from './compose-env.cjs';

/** What one service's compose-env.spec.ts says of it beyond topology.json. */
export interface ComposeServiceExpectations {
  name: ServiceName;
  /** Its config schema. */
  schema: ZodObject;
  /**
   * Every `${VAR:?...}` its environment uses, by the variable that uses it:
   * the secrets that must come from the environment / .env.
   */
  secrets: Readonly<Record<string, readonly string[]>>;
  /**
   * Set differently in containers than for `npm start` on purpose, beside
   * NODE_ENV, HOST, DATA_DIR, PORT and the URLs of the services it calls.
   */
  containerSpecific?: readonly string[];
  /** The compose services it waits for, healthy. */
  dependsOn: readonly string[];
  /** The compose services its second replica waits for, healthy. */
  replicaDependsOn: readonly string[];
  /** The balancer port of its pair in the replicas profile, named in the compose file header. */
  balancerPort: string;
}

/** What the checks read, for the checks a spec adds. */
export interface ComposeServiceContext {
  compose: Compose;
  topology: ServiceTopology;
  /** Its first replica, `<name>` in the compose file. */
  service: ComposeService;
  environment: ServiceEnvironment;
  /** Its second replica, `<name>-2`, of the replicas profile. */
  replicaName: string;
  replica: ComposeService;
  replicaEnvironment: ServiceEnvironment;
}

/** The checks a spec adds inside the shared `describe` blocks. */
export interface ComposeServiceExtras {
  service?: (context: ComposeServiceContext) => void;
  replica?: (context: ComposeServiceContext) => void;
}

function issues(result: { success: boolean; error?: { issues: unknown[] } }): string {
  return result.success ? '' : JSON.stringify(result.error?.issues, null, 2);
}

/** Declares that the schema accepts the environment and knows every variable of it. */
function itFitsTheSchema(name: ServiceName, schema: ZodObject, env: Record<string, string>): void {
  it(`is accepted by the ${name} schema`, () => {
    const result = schema.safeParse(env);
    expect(issues(result)).toBe('');
    expect(result.success).toBe(true);
  });

  it('sets no variable the schema does not know', () => {
    const known = new Set(Object.keys(schema.shape));
    expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
  });
}

const healthy = (names: readonly string[]): Record<string, { condition: string }> =>
  Object.fromEntries(names.map((name) => [name, { condition: 'service_healthy' }]));

/**
 * The checks every service's compose-env.spec.ts makes: docker-compose.yml
 * gives the container (and its second replica) an environment its schema
 * accepts in production, with nothing the schema does not know, on the ports
 * and origin of topology.json, reaching the services it calls by their
 * compose names (the replica through the balancer), and with the secrets left
 * to the environment (`${VAR:?...}`), never written in the file.
 */
export function describeComposeService(
  expected: ComposeServiceExpectations,
  extras: ComposeServiceExtras = {},
): void {
  const { name, schema } = expected;
  const compose = composeEnv.loadCompose();
  const context: ComposeServiceContext = {
    compose,
    topology: topology.service(name),
    service: compose.services[name],
    environment: composeEnv.serviceEnvironment(name, compose),
    replicaName: `${name}-2`,
    replica: compose.services[`${name}-2`],
    replicaEnvironment: composeEnv.serviceEnvironment(`${name}-2`, compose),
  };
  const { service, environment, replicaName, replica, replicaEnvironment } = context;
  const { env, required } = environment;
  const { port, metricsPort, originVariable } = context.topology;
  const calls = context.topology.calls.map(topology.service);
  const metrics = { port: String(metricsPort), exposed: true, published: [] };

  describe(`docker-compose.yml → ${name} environment`, () => {
    itFitsTheSchema(name, schema, env);

    it('logs JSON lines, for the log pipeline, and could not be told otherwise', () => {
      expect(schema.parse(env)['LOG_FORMAT']).toBe('json');
      expect(schema.safeParse({ ...env, LOG_FORMAT: 'pretty' }).success).toBe(false);
    });

    it('runs in production, listening on every interface on the API.md port', () => {
      expect(env['NODE_ENV']).toBe('production');
      expect(env['HOST']).toBe('0.0.0.0');
      expect(env['PORT']).toBe(String(port));
      expect(env[originVariable]).toBe(topology.origin(name));
      expect(service.ports).toContain(`127.0.0.1:${port}:${port}`);
    });

    it(`serves metrics on METRICS_PORT ${metricsPort} to the compose network only, published nowhere`, () => {
      expect(composeEnv.metricsReach(name, compose)).toEqual(metrics);
    });

    it('sets every variable the schema requires in production', () => {
      const bare = schema.safeParse({ NODE_ENV: 'production' });
      const needed = bare.success ? [] : bare.error.issues.map((issue) => String(issue.path[0]));
      for (const key of needed) expect(Object.keys(env)).toContain(key);
    });

    it('takes its secrets from the environment, never from the file', () => {
      expect(required).toEqual(expected.secrets);
    });

    it('uses PostgreSQL, Redis and the services it calls by their compose names, once they are healthy', () => {
      if (context.topology.database) {
        const database = new URL(env['DATABASE_URL']);
        expect(database.hostname).toBe('postgres');
        expect(composeEnv.initDatabases()).toContain(database.pathname.slice(1));
        for (const other of topology.SERVICES.filter((s) => s.database && s.name !== name)) {
          const theirs = composeEnv.serviceEnvironment(other.name, compose).env['DATABASE_URL'];
          expect(database.pathname).not.toBe(new URL(theirs).pathname);
        }
      }
      expect(new URL(env['REDIS_URL']).hostname).toBe('redis');
      for (const callee of calls) {
        const url = new URL(env[callee.urlVariable]);
        expect(url.hostname).toBe(callee.name);
        expect(url.port).toBe(composeEnv.serviceEnvironment(callee.name, compose).env['PORT']);
      }
      expect(service.depends_on).toMatchObject(healthy(expected.dependsOn));
    });

    it('keeps the values of .env.example apart from the container-specific ones', () => {
      const containerSpecific = [
        ...['NODE_ENV', 'HOST', 'DATA_DIR', 'PORT'],
        ...calls.map((callee) => callee.urlVariable),
        ...(expected.containerSpecific ?? []),
      ];
      const example = composeEnv.envExample();
      const drift = Object.keys(env)
        .filter((key) => key in example && !containerSpecific.includes(key))
        .filter((key) => env[key] !== example[key])
        .map((key) => `${key}=${env[key]} (.env.example: ${example[key]})`);
      expect(drift).toEqual([]);
    });

    extras.service?.(context);
  });

  describe(`docker-compose.yml → ${replicaName}, the second replica (profile replicas)`, () => {
    itFitsTheSchema(name, schema, replicaEnvironment.env);

    it('serves metrics on the same METRICS_PORT, to the compose network only', () => {
      expect(composeEnv.metricsReach(replicaName, compose)).toEqual(metrics);
    });

    it('starts only with the replicas profile, from the same image, publishing no port', () => {
      expect(replica.profiles).toEqual([composeEnv.REPLICAS_PROFILE]);
      expect(service.profiles).toBeUndefined();
      // The image the first replica builds: never built again, never pulled.
      expect(replica.image).toEqual(service.image);
      expect(replica.build).toBeUndefined();
      expect(replica.pull_policy).toBe('never');
      expect(replica.ports).toBeUndefined();
      expect(replica.depends_on).toMatchObject(healthy(expected.replicaDependsOn));
    });

    it(`differs from ${name} only in where it reaches the others and in its drain`, () => {
      expect(composeEnv.differences(env, replicaEnvironment.env)).toEqual(
        [...calls.map((callee) => callee.urlVariable), 'SHUTDOWN_DELAY_MS'].sort(),
      );
      expect(replicaEnvironment.raw['SHUTDOWN_DELAY_MS']).toBeDefined();
      expect(replicaEnvironment.required).toEqual(required);
    });

    if (calls.length > 0) {
      it(`reaches ${calls.map((callee) => callee.name).join(' and ')} through the balancer, on the ports of their pairs`, () => {
        for (const callee of calls) {
          const url = new URL(replicaEnvironment.env[callee.urlVariable]);
          expect(url.hostname).toBe('lb');
          expect(url.port).toBe(composeEnv.balancerPortOf(callee.name, compose));
        }
      });
    }

    it(`sits behind the balancer, paired with ${name}, on the port named ${expected.balancerPort} in the file header`, () => {
      expect(composeEnv.balancerPortOf(name, compose)).toBe(expected.balancerPort);
      expect(compose.services['lb'].ports).toContain(
        `127.0.0.1:${expected.balancerPort}:${expected.balancerPort}`,
      );
    });

    extras.replica?.(context);
  });
}
