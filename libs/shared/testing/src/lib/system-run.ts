import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempDatabases, deleteRedisKeys } from './backing-stores';
import type { TempDatabases } from './backing-stores';
import { SERVICES } from '../../../../../tools/topology.cjs';
import type { ServiceName } from '../../../../../tools/topology.cjs';
import { MAIL_CATCHER_ENTRY_POINT } from './mail-catcher-client';
import { randomHex } from './random';
import type { ServiceProcess } from './service-process';
import type { Backend, TestEnvironment } from './test-environment';
import { findWorkspaceRoot } from './workspace-root';

export type { ServiceName } from '../../../../../tools/topology.cjs';

/** Set by `jest-environment.ts` when a test or hook of the current file failed. */
export const FAILURES_GLOBAL = '__SVT_E2E_FAILURES__';

/**
 * What the harness sets unless a suite overrides it. Every request of a
 * suite comes from 127.0.0.1, so the per-address limits are lifted here, and
 * so is the per-user cart write limit, which load and soak users exceed;
 * the security suite sets its own and tests them.
 */
const HARNESS_DEFAULTS: Readonly<Record<string, string>> = {
  RATE_LIMIT_LOGIN_IP: '100000/60',
  RATE_LIMIT_REGISTER_IP: '100000/60',
  RATE_LIMIT_REGISTER_EMAIL: '100000/60',
  RATE_LIMIT_REFRESH_IP: '100000/60',
  RATE_LIMIT_REFRESH_ACCOUNT: '100000/60',
  RATE_LIMIT_CART_WRITES: '100000/60',
};

/**
 * What one started system owns, whatever its shape (one process per service,
 * or replicas behind balancers): a data dir, fresh databases and a fresh
 * Redis key prefix, and the processes it started.
 */
export interface SystemRun {
  readonly root: string;
  readonly backend: Backend;
  readonly dataDir: string;
  readonly redisKeyPrefix: string;
  /** The temp database of each service, on PostgreSQL. */
  readonly databaseUrls: Partial<Record<ServiceName, string>>;
  /** Variables every service of the run gets, before its own. */
  readonly commonEnv: Readonly<Record<string, string>>;
  /** The processes to stop at the end; whoever starts one adds it. */
  readonly started: ServiceProcess[];
  /** Whether `finish()` was called. */
  readonly finished: boolean;
  /**
   * Stops the processes (SIGTERM, SIGKILL after 5 s), drops the temp
   * databases and Redis keys, removes the data dir. Prints the processes'
   * output when a test in the file failed (with the `@svt/shared/testing`
   * jest environment) or when one had died on its own. Idempotent.
   */
  finish(): Promise<void>;
  /** After a start that failed: `finish()`, with a cleanup error only logged, then rethrows `error`. */
  abandon(error: unknown): Promise<never>;
}

/** A value for every service of topology.json, made from its name and its index there. */
export function byService<T>(
  value: (name: ServiceName, index: number) => T,
): Record<ServiceName, T> {
  return Object.fromEntries(SERVICES.map(({ name }, i) => [name, value(name, i)])) as Record<
    ServiceName,
    T
  >;
}

/** The built entry point of a service, relative to the workspace root. */
export function entryPoint(name: ServiceName): string {
  return join('dist', 'apps', name, 'main.js');
}

/**
 * Checks that the services are built, makes the run's data dir and, on
 * PostgreSQL, its databases (one per service with a database), and says loudly which
 * backend it runs on. Cleans up after itself when that fails.
 */
export async function beginRun(testEnv: TestEnvironment, backend: Backend): Promise<SystemRun> {
  const root = findWorkspaceRoot();
  const missing = [
    ...SERVICES.map(({ name }) => entryPoint(name)),
    MAIL_CATCHER_ENTRY_POINT,
  ].filter((path) => !existsSync(join(root, path)));
  if (missing.length > 0) {
    throw new Error(
      `e2e: not built: ${missing.join(', ')}; run \`npx nx run-many -t build -p ${SERVICES.map(({ name }) => name).join(' ')} mail-catcher\` (the e2e target does it)`,
    );
  }
  const runId = randomHex(5);
  const redisKeyPrefix = `e2e-${runId}:`;
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
      const owners = SERVICES.filter((service) => service.database).map(({ name }) => name);
      databases = await createTempDatabases(testEnv.databaseUrl, runId, owners);
    }
  } catch (error) {
    await teardown().catch((cleanupError: unknown) => {
      process.stderr.write(`[e2e] ${String(cleanupError)}\n`);
    });
    throw error;
  }

  let finishing: Promise<void> | undefined;
  const finish = (): Promise<void> => {
    finishing ??= (async () => {
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
    return finishing;
  };
  return {
    root,
    backend,
    dataDir,
    redisKeyPrefix,
    databaseUrls: databases?.urls ?? {},
    commonEnv: {
      ...testEnv.inherited,
      ...HARNESS_DEFAULTS,
      NODE_ENV: 'test',
      // Plain logs: they end up in CI output and assertion messages.
      NO_COLOR: '1',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      // AUTH refuses its development placeholder once DATABASE_URL is set.
      KEY_ENCRYPTION_SECRET: `e2e-${randomHex(24)}`,
      // The gateway and CART refuse theirs likewise (CART has DATABASE_URL too).
      SSO_COOKIE_SECRET: `e2e-sso-${randomHex(24)}`,
    },
    started,
    get finished() {
      return finishing !== undefined;
    },
    finish,
    async abandon(error: unknown): Promise<never> {
      await finish().catch((cleanupError: unknown) => {
        process.stderr.write(`[e2e] ${String(cleanupError)}\n`);
      });
      throw error;
    },
  };
}

function announce(
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
