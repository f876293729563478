import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempDatabases, deleteRedisKeys } from './backing-stores';
import type { TempDatabases } from './backing-stores';
import { findFreePorts } from './free-port';
import { randomHex } from './random';
import { ServiceProcess } from './service-process';
import type { Service } from './service-process';
import { readTestEnvironment, resolveBackend } from './test-environment';
import type { Backend, TestEnvironment } from './test-environment';
import { findWorkspaceRoot } from './workspace-root';

export type ServiceName = 'auth' | 'gateway' | 'cart';

export interface StartSystemOptions {
  /** Extra variables per service, applied last (they may override the harness's). */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Per service; 30 s by default. */
  readyTimeoutMs?: number;
  /**
   * `environment` (default): PostgreSQL + Redis when both URLs are set, else
   * embedded. `embedded`: the embedded default whatever is set, e.g. to
   * measure both backends in one run.
   */
  backend?: 'environment' | 'embedded';
  /**
   * `environment` (default): REDIS_URL, as `backend` says. `own`: the suite
   * gives the services a Redis of its own through `env` (e.g. a cluster's seed
   * list with REDIS_CLUSTER=true) and removes it itself; REDIS_URL is ignored
   * and the databases are PostgreSQL when DATABASE_URL is set, else SQLite.
   */
  redis?: 'environment' | 'own';
  /**
   * Rewrites the server URLs the services are given (the harness itself still
   * connects directly), e.g. through a fault proxy: `{ redis: (url) => proxy.via(url) }`.
   */
  route?: {
    readonly redis?: (url: string) => string;
    readonly database?: (url: string) => string;
  };
}

/** The three services, started as real processes on free ports. */
export interface SystemUnderTest {
  /** The gateway, answering as SHOP. */
  shop: Service;
  auth: Service;
  cart: Service;
  backend: Backend;
  /** The temp directory the three share as `DATA_DIR`. */
  dataDir: string;
  redisKeyPrefix: string;
  /**
   * Runs a one-off command of a service's entry point (e.g. `auth
   * rotate-signing-key`) with the environment that service runs with.
   */
  command(service: ServiceName, args: readonly string[]): Promise<CommandResult>;
  /**
   * Starts one more process of `service` on a free port, with the environment
   * the running one has (same `DATA_DIR`, databases, Redis prefix, origins and
   * overrides) plus `env`, and resolves once it is ready. A replica answers to
   * the running service's public origin, as it would behind a load balancer:
   * an auth replica still issues tokens as AUTH and sets cookies for AUTH.
   * The other services keep talking to the first process. `stop()` stops
   * replicas with the rest.
   */
  startReplica(service: ServiceName, env?: Record<string, string>): Promise<Service>;
  /**
   * Stops the processes (SIGTERM, SIGKILL after 5 s), drops the temp databases
   * and Redis keys, removes the data dir. Prints the services' output when a
   * test in the file failed (with the `@svt/shared/testing` jest environment)
   * or when a service had died on its own. Idempotent.
   */
  stop(): Promise<void>;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * What the harness sets unless a suite overrides it. Every request of a
 * suite comes from 127.0.0.1, so the per-address limits are lifted here;
 * the security suite sets its own and tests them.
 */
export const HARNESS_DEFAULTS: Readonly<Record<string, string>> = {
  RATE_LIMIT_LOGIN_IP: '100000/60',
  RATE_LIMIT_REGISTER_IP: '100000/60',
  RATE_LIMIT_REGISTER_EMAIL: '100000/60',
  RATE_LIMIT_REFRESH_IP: '100000/60',
  RATE_LIMIT_REFRESH_ACCOUNT: '100000/60',
};

/** Set by `jest-environment.ts` when a test or hook of the current file failed. */
export const FAILURES_GLOBAL = '__SVT_E2E_FAILURES__';

/**
 * Starts auth, then cart, then the gateway from their built entry points
 * (`dist/apps/<name>/main.js`, cwd = workspace root) and waits for each to be
 * ready. Backend: PostgreSQL + Redis when `DATABASE_URL` and `REDIS_URL` are
 * set (fresh databases and a fresh key prefix per call), else the embedded one.
 */
export async function startSystem(options: StartSystemOptions = {}): Promise<SystemUnderTest> {
  const root = findWorkspaceRoot();
  const fromEnvironment = readTestEnvironment();
  const testEnv: TestEnvironment =
    options.backend === 'embedded'
      ? { inherited: fromEnvironment.inherited }
      : options.redis === 'own'
        ? { ...fromEnvironment, redisUrl: undefined }
        : fromEnvironment;
  const backend: Backend =
    options.redis === 'own'
      ? testEnv.databaseUrl
        ? 'postgres+redis'
        : 'embedded'
      : resolveBackend(testEnv);
  const missing = (['auth', 'cart', 'gateway'] as const).filter(
    (name) => !existsSync(join(root, entryPoint(name))),
  );
  if (missing.length > 0) {
    throw new Error(
      `e2e: not built: ${missing.map(entryPoint).join(', ')}; run \`npx nx run-many -t build -p auth gateway cart\` (the e2e target does it)`,
    );
  }

  const runId = randomHex(5);
  const redisKeyPrefix = `e2e-${runId}:`;
  const [authPort, cartPort, gatewayPort] = await findFreePorts(3);
  const origins = {
    shop: `http://shop.localhost:${gatewayPort}`,
    auth: `http://auth.localhost:${authPort}`,
    cart: `http://cart.localhost:${cartPort}`,
  };
  const dataDir = await mkdtemp(join(tmpdir(), `svt-e2e-${runId}-`));
  announce(backend, dataDir, testEnv.databaseUrl, testEnv.redisUrl, redisKeyPrefix);

  const started: ServiceProcess[] = [];
  let databases: TempDatabases | undefined;
  const teardown = async (): Promise<void> => {
    const errors: unknown[] = [];
    await Promise.all(started.map((s) => s.stop().catch((e: unknown) => errors.push(e))));
    await databases?.drop().catch((e: unknown) => errors.push(e));
    if (backend === 'postgres+redis' && testEnv.redisUrl) {
      await deleteRedisKeys(testEnv.redisUrl, redisKeyPrefix).catch((e: unknown) => errors.push(e));
    }
    await rm(dataDir, { recursive: true, force: true }).catch((e: unknown) => errors.push(e));
    if (errors.length > 0) {
      throw new AggregateError(errors, `e2e: cleanup failed: ${errors.map(String).join('; ')}`);
    }
  };

  try {
    if (backend === 'postgres+redis' && testEnv.databaseUrl) {
      databases = await createTempDatabases(testEnv.databaseUrl, runId, ['auth', 'cart']);
    }
    const common: Record<string, string> = {
      ...testEnv.inherited,
      ...HARNESS_DEFAULTS,
      NODE_ENV: 'test',
      // Plain logs: they end up in CI output and assertion messages.
      NO_COLOR: '1',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      SHOP_ORIGIN: origins.shop,
      AUTH_ORIGIN: origins.auth,
      CART_ORIGIN: origins.cart,
      AUTH_URL: `http://127.0.0.1:${authPort}`,
      CART_URL: `http://127.0.0.1:${cartPort}`,
      GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
      ...(testEnv.redisUrl
        ? { REDIS_URL: options.route?.redis?.(testEnv.redisUrl) ?? testEnv.redisUrl }
        : {}),
    };
    const envs: Partial<Record<ServiceName, Record<string, string>>> = {};
    const launch = async (
      name: ServiceName,
      port: number,
      origin: string,
    ): Promise<ServiceProcess> => {
      const databaseUrl = databases?.urls[name];
      envs[name] = {
        ...common,
        PORT: String(port),
        ...(databaseUrl
          ? { DATABASE_URL: options.route?.database?.(databaseUrl) ?? databaseUrl }
          : {}),
        ...options.env?.[name],
      };
      const service = await ServiceProcess.start({
        name,
        script: entryPoint(name),
        cwd: root,
        port,
        origin,
        readyTimeoutMs: options.readyTimeoutMs,
        env: envs[name],
      });
      started.push(service);
      return service;
    };
    const auth = await launch('auth', authPort, origins.auth);
    const cart = await launch('cart', cartPort, origins.cart);
    const shop = await launch('gateway', gatewayPort, origins.shop);
    const firsts: Record<ServiceName, ServiceProcess> = { auth, cart, gateway: shop };

    let stopped: Promise<void> | undefined;
    return {
      shop,
      auth,
      cart,
      backend,
      dataDir,
      redisKeyPrefix,
      command: (service, args) =>
        new Promise((resolve) => {
          execFile(
            process.execPath,
            [entryPoint(service), ...args],
            { cwd: root, env: envs[service], timeout: 30_000 },
            (error, stdout, stderr) => {
              const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
              resolve({ code, stdout, stderr });
            },
          );
        }),
      startReplica: async (service, env = {}) => {
        if (stopped)
          throw new Error(`e2e: cannot start a ${service} replica: the system is stopped`);
        const [port] = await findFreePorts(1);
        const replica = await ServiceProcess.start({
          name: `${service}-replica-${port}`,
          script: entryPoint(service),
          cwd: root,
          port,
          origin: firsts[service].origin,
          readyTimeoutMs: options.readyTimeoutMs,
          env: { ...envs[service], PORT: String(port), ...env },
        });
        if (stopped) {
          // stop() ran while it was starting and did not see it.
          await replica.stop();
          throw new Error(`e2e: the system stopped while a ${service} replica was starting`);
        }
        started.push(replica);
        return replica;
      },
      stop: () => {
        stopped ??= (async () => {
          const failures = Number((globalThis as Record<string, unknown>)[FAILURES_GLOBAL] ?? 0);
          const crashed = started.filter((s) => s.crashed);
          await teardown();
          if (failures > 0 || crashed.length > 0) {
            const why =
              failures > 0
                ? `${failures} failure(s) in this file`
                : `${crashed.map((s) => s.name).join(', ')} exited on its own`;
            process.stderr.write(
              `\n[e2e] service output (${why}; backend ${backend}):\n${started.map((s) => s.tail()).join('\n')}\n`,
            );
          }
        })();
        return stopped;
      },
    };
  } catch (error) {
    await teardown().catch((cleanupError: unknown) => {
      process.stderr.write(`[e2e] ${String(cleanupError)}\n`);
    });
    throw error;
  }
}

/** The built entry point of a service, relative to the workspace root. */
export function entryPoint(name: ServiceName): string {
  return join('dist', 'apps', name, 'main.js');
}

/** Says loudly which backend a suite runs on. */
export function announce(
  backend: Backend,
  dataDir: string,
  databaseUrl: string | undefined,
  redisUrl: string | undefined,
  prefix: string,
): void {
  const where =
    backend === 'embedded'
      ? `SQLite under ${dataDir} (set DATABASE_URL and REDIS_URL for postgres+redis)`
      : `PostgreSQL ${redact(databaseUrl)} (fresh databases), Redis ${redact(redisUrl)} (prefix ${prefix})`;
  process.stderr.write(`\n[e2e] ===== BACKEND: ${backend.toUpperCase()} — ${where} =====\n`);
}

/** Hides a password in a URL before it reaches a log. */
function redact(url: string | undefined): string {
  if (url === undefined) return '(unset)';
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
