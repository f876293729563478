import { execFile } from 'node:child_process';
import { findFreePorts } from './free-port';
import { startMailCatcher } from './mail-catcher-client';
import type { MailCatcherClient } from './mail-catcher-client';
import { ServiceProcess } from './service-process';
import type { MeteredService } from './service-process';
import { SERVICES, START_ORDER, origin, wiringEnv } from '../../../../../tools/topology.cjs';
import { beginRun, byService, entryPoint } from './system-run';
import type { ServiceName } from './system-run';
import { readTestEnvironment, resolveBackend } from './test-environment';
import type { Backend, TestEnvironment } from './test-environment';

export type { ServiceName } from './system-run';
export { FAILURES_GLOBAL } from './system-run';

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
  shop: MeteredService;
  auth: MeteredService;
  cart: MeteredService;
  /** The mail catcher AUTH sends its mail to (`SMTP_URL`): read the mails here, never from a log. */
  mail: MailCatcherClient;
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
   * Starts one more process of `service` on free ports, with the environment
   * the running one has (same `DATA_DIR`, databases, Redis prefix, origins and
   * overrides) plus `env`, and resolves once it is ready. A replica answers to
   * the running service's public origin, as it would behind a load balancer:
   * an auth replica still issues tokens as AUTH and sets cookies for AUTH.
   * The other services keep talking to the first process. `stop()` stops
   * replicas with the rest.
   */
  startReplica(service: ServiceName, env?: Record<string, string>): Promise<MeteredService>;
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
 * Starts auth, then cart and the gateway side by side (topology.json), from their built entry points
 * (`dist/apps/<name>/main.js`, cwd = workspace root) and waits for each to be
 * ready. Backend: PostgreSQL + Redis when `DATABASE_URL` and `REDIS_URL` are
 * set (fresh databases and a fresh key prefix per call), else the embedded one.
 */
export async function startSystem(options: StartSystemOptions = {}): Promise<SystemUnderTest> {
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
  const run = await beginRun(testEnv, backend);
  const { root, dataDir, redisKeyPrefix, started } = run;
  try {
    const mail = await startMailCatcher({
      root,
      env: run.commonEnv,
      started,
      readyTimeoutMs: options.readyTimeoutMs,
    });
    // A public port per service, then a metrics port per service.
    const ports = await findFreePorts(2 * SERVICES.length);
    const publicPort = byService((_, i) => ports[i]);
    const metricsPort = byService((_, i) => ports[SERVICES.length + i]);
    const common: Record<string, string> = {
      ...run.commonEnv,
      ...wiringEnv(publicPort),
      ...(testEnv.redisUrl
        ? { REDIS_URL: options.route?.redis?.(testEnv.redisUrl) ?? testEnv.redisUrl }
        : {}),
    };
    const envs: Partial<Record<ServiceName, Record<string, string>>> = {};
    const launch = async (name: ServiceName): Promise<ServiceProcess & MeteredService> => {
      const databaseUrl = run.databaseUrls[name];
      envs[name] = {
        ...common,
        PORT: String(publicPort[name]),
        METRICS_PORT: String(metricsPort[name]),
        ...(name === 'auth' ? { SMTP_URL: mail.smtpUrl } : {}),
        ...(name === 'gateway' ? { MAIL_CATCHER_ORIGIN: mail.process.origin } : {}),
        ...(databaseUrl
          ? { DATABASE_URL: options.route?.database?.(databaseUrl) ?? databaseUrl }
          : {}),
        ...options.env?.[name],
      };
      const service = await ServiceProcess.start({
        name,
        script: entryPoint(name),
        cwd: root,
        port: publicPort[name],
        origin: origin(name, publicPort[name]),
        metricsPort: metricsPort[name],
        readyTimeoutMs: options.readyTimeoutMs,
        env: envs[name],
      });
      started.push(service);
      return service;
    };
    const [first, ...rest] = START_ORDER.map(({ name }) => name);
    const firsts = {} as Record<ServiceName, MeteredService>;
    firsts[first] = await launch(first);
    // The others load the first one's public keys at start and are started
    // side by side: one that loads another's keys retries until it serves them.
    // Settled, not raced: a failed start must not leave another one unseen.
    const starts = await Promise.allSettled(rest.map(launch));
    for (const [i, start] of starts.entries()) {
      if (start.status === 'rejected') throw start.reason;
      firsts[rest[i]] = start.value;
    }
    const { gateway: shop, auth, cart } = firsts;

    return {
      shop,
      auth,
      cart,
      mail,
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
        if (run.finished)
          throw new Error(`e2e: cannot start a ${service} replica: the system is stopped`);
        const [port, replicaMetricsPort] = await findFreePorts(2);
        const replica = await ServiceProcess.start({
          name: `${service}-replica-${port}`,
          script: entryPoint(service),
          cwd: root,
          port,
          origin: firsts[service].origin,
          metricsPort: replicaMetricsPort,
          readyTimeoutMs: options.readyTimeoutMs,
          env: {
            ...envs[service],
            PORT: String(port),
            METRICS_PORT: String(replicaMetricsPort),
            ...env,
          },
        });
        if (run.finished) {
          // stop() ran while it was starting and did not see it.
          await replica.stop();
          throw new Error(`e2e: the system stopped while a ${service} replica was starting`);
        }
        started.push(replica);
        return replica;
      },
      stop: run.finish,
    };
  } catch (error) {
    return run.abandon(error);
  }
}
