import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { findFreePorts } from './free-port';
import { startMailCatcher } from './mail-catcher-client';
import type { MailCatcherClient } from './mail-catcher-client';
import { ServiceProcess } from './service-process';
import type { MeteredService, Service } from './service-process';
import { SERVICES, START_ORDER, origin, wiringEnv } from '../../../../../tools/topology.cjs';
import { beginRun, byService, entryPoint } from './system-run';
import type { ServiceName } from './system-run';
import { readTestEnvironment, resolveBackend } from './test-environment';
import type { Backend } from './test-environment';

export interface StartReplicatedSystemOptions {
  /** Processes per service; 2 by default. */
  replicas?: number;
  /** How often each balancer checks `/health/ready`; 250 ms by default. */
  healthIntervalMs?: number;
  /**
   * How long a replica keeps serving after SIGTERM (`SHUTDOWN_DELAY_MS`); by
   * default four health-check periods, so its balancer has taken it out first.
   */
  shutdownDelayMs?: number;
  /** Extra variables per service, applied last. */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
}

/** Three services, each as replicas behind a load balancer (`tools/load-balancer.mjs`). */
export interface ReplicatedSystem {
  /** The gateway's balancer, answering as SHOP. */
  shop: Service;
  /** AUTH's balancer. */
  auth: Service;
  /** CART's balancer. */
  cart: Service;
  /**
   * The processes behind each balancer, by index; `restartReplica` replaces
   * entries. Each has its own metrics port (a balancer has none).
   */
  replicas: Readonly<Record<ServiceName, readonly MeteredService[]>>;
  /** The mail catcher every AUTH replica sends its mail to. */
  mail: MailCatcherClient;
  backend: Backend;
  /**
   * SIGTERMs replica `index` of `service`, waits for it to exit (rejecting
   * unless it exits 0), starts it again on the same port with the same
   * environment, and resolves once it is ready and its balancer sends it
   * traffic again.
   */
  restartReplica(service: ServiceName, index: number): Promise<MeteredService>;
  /** Stops balancers and replicas, drops the temp databases, Redis keys and data dir. Idempotent. */
  stop(): Promise<void>;
}

const BALANCER = join('tools', 'load-balancer.mjs');

/**
 * Starts `replicas` processes of each service on free ports and a load
 * balancer per service in front of them; the services reach each other
 * through the balancers, as they would in a deployment, and the gateway
 * trusts its balancer's X-Forwarded-For. Backend as `startSystem`: PostgreSQL
 * + Redis when `DATABASE_URL` and `REDIS_URL` are set, else the embedded one,
 * shared by every replica.
 */
export async function startReplicatedSystem(
  options: StartReplicatedSystemOptions = {},
): Promise<ReplicatedSystem> {
  const count = options.replicas ?? 2;
  if (!Number.isInteger(count) || count < 1) {
    throw new TypeError(`replicas must be a whole number of at least 1, not ${count}`);
  }
  const healthIntervalMs = options.healthIntervalMs ?? 250;
  const shutdownDelayMs = options.shutdownDelayMs ?? 4 * healthIntervalMs;
  const testEnv = readTestEnvironment();
  const backend = resolveBackend(testEnv);
  const run = await beginRun(testEnv, backend);
  const { root, started } = run;
  try {
    const mail = await startMailCatcher({ root, env: run.commonEnv, started });
    // A public port per balancer, then a port and a metrics port per replica.
    const ports = await findFreePorts(SERVICES.length * (2 * count + 1));
    const publicPort = byService((_, i) => ports[i]);
    const replicaPorts = byService((_, i) =>
      ports.slice(SERVICES.length + i * count, SERVICES.length + (i + 1) * count),
    );
    const metricsBase = SERVICES.length * (count + 1);
    const replicaMetricsPorts = byService((_, i) =>
      ports.slice(metricsBase + i * count, metricsBase + (i + 1) * count),
    );
    const origins = byService((name) => origin(name, publicPort[name]));
    const envs = byService((name) => {
      const databaseUrl = run.databaseUrls[name];
      return {
        ...run.commonEnv,
        ...wiringEnv(publicPort),
        SHUTDOWN_DELAY_MS: String(shutdownDelayMs),
        // The gateway is the edge; only here does a (loopback) proxy stand in front of it.
        ...(name === 'gateway' ? { TRUSTED_PROXIES: 'loopback' } : {}),
        ...(name === 'auth' ? { SMTP_URL: mail.smtpUrl } : {}),
        ...(name === 'gateway' ? { MAIL_CATCHER_ORIGIN: mail.process.origin } : {}),
        ...(testEnv.redisUrl ? { REDIS_URL: testEnv.redisUrl } : {}),
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        ...options.env?.[name],
      };
    });

    const startReplica = async (
      name: ServiceName,
      index: number,
    ): Promise<ServiceProcess & MeteredService> => {
      const port = replicaPorts[name][index];
      const metricsPort = replicaMetricsPorts[name][index];
      const replica = await ServiceProcess.start({
        name: `${name}-${index + 1}`,
        script: entryPoint(name),
        cwd: root,
        port,
        origin: origins[name],
        metricsPort,
        env: { ...envs[name], PORT: String(port), METRICS_PORT: String(metricsPort) },
      });
      started.push(replica);
      return replica;
    };

    const balancers = {} as Record<ServiceName, ServiceProcess>;
    const replicas = {} as Record<ServiceName, (ServiceProcess & MeteredService)[]>;
    // In the start order of topology.json. The first replica of each alone, as
    // it may create what the others share (signing keys, the gateway's
    // identity key).
    for (const { name } of START_ORDER) {
      // Ready once it sends `/health/ready` to a replica that answers 200.
      const balancer = ServiceProcess.start({
        name: `${name}-lb`,
        script: BALANCER,
        args: [
          '--port',
          String(publicPort[name]),
          '--health-interval',
          String(healthIntervalMs),
          ...replicaPorts[name].flatMap((port) => ['--upstream', `127.0.0.1:${port}`]),
        ],
        cwd: root,
        port: publicPort[name],
        origin: origins[name],
        env: { ...testEnv.inherited, NO_COLOR: '1' },
      }).then((lb) => (started.push(lb), lb));
      // A failed replica start must not leave the balancer's promise unobserved.
      balancer.catch(() => undefined);
      const first = await startReplica(name, 0);
      const rest = await Promise.all(
        replicaPorts[name].slice(1).map((_, i) => startReplica(name, i + 1)),
      );
      balancers[name] = await balancer;
      replicas[name] = [first, ...rest];
      for (const replica of replicas[name]) await waitUntilIn(balancers[name], replica.port);
    }

    return {
      shop: balancers.gateway,
      auth: balancers.auth,
      cart: balancers.cart,
      replicas,
      mail,
      backend,
      restartReplica: async (name, index) => {
        const old = replicas[name][index];
        if (old === undefined) throw new RangeError(`${name} has no replica ${index}`);
        const since = stateLines(balancers[name], old.port).length;
        const exit = await old.terminate();
        if (exit.code !== 0) {
          throw new Error(
            `e2e: ${old.name} exited with code ${exit.code}, signal ${exit.signal} after SIGTERM\n${old.tail()}`,
          );
        }
        const replica = await startReplica(name, index);
        replicas[name][index] = replica;
        await waitUntilIn(balancers[name], replica.port, since);
        return replica;
      },
      stop: run.finish,
    };
  } catch (error) {
    return run.abandon(error);
  }
}

/** The balancer's `upstream 127.0.0.1:<port> in|out (…)` lines for one upstream, oldest first. */
function stateLines(balancer: ServiceProcess, port: number): ('in' | 'out')[] {
  const pattern = new RegExp(`^upstream 127\\.0\\.0\\.1:${port} (in|out)\\b`);
  return balancer
    .output()
    .split('\n')
    .flatMap((line) => {
      const match = pattern.exec(line);
      return match ? [match[1] as 'in' | 'out'] : [];
    });
}

/**
 * Resolves once the balancer's latest word on the upstream is `in`, and, when
 * `since` is given, it went out after that many state lines first (so an
 * `in` from before a restart does not count).
 */
async function waitUntilIn(
  balancer: ServiceProcess,
  port: number,
  since?: number,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = stateLines(balancer, port);
    const fresh = since === undefined ? lines : lines.slice(since);
    if (fresh.at(-1) === 'in' && (since === undefined || fresh.includes('out'))) return;
    if (Date.now() > deadline) {
      throw new Error(
        `e2e: ${balancer.name} did not take 127.0.0.1:${port} in within ${timeoutMs} ms\n${balancer.tail()}`,
      );
    }
    await delay(25);
  }
}
