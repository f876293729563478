/** What the harness takes from the environment the tests run in (CI or a developer's shell). */
export interface TestEnvironment {
  /** An admin connection; the harness creates a fresh database per service through it. */
  databaseUrl?: string;
  redisUrl?: string;
  /** Passed on to the services so that `node` and native modules work as in the parent. */
  inherited: Record<string, string>;
}

export type Backend = 'embedded' | 'postgres+redis';

/** Variables of the parent process worth handing to a child; nothing that configures the services. */
const INHERITED = [
  'PATH',
  'HOME',
  'TMPDIR',
  'LANG',
  'LC_ALL',
  'TZ',
  'NODE_EXTRA_CA_CERTS',
] as const;

/** The one place the harness reads `process.env`. */
export function readTestEnvironment(): TestEnvironment {
  const inherited: Record<string, string> = {};
  for (const name of INHERITED) {
    // eslint-disable-next-line no-restricted-syntax -- the harness reads the CI-provided server URLs
    const value = process.env[name];
    if (value) inherited[name] = value;
  }
  return {
    // eslint-disable-next-line no-restricted-syntax -- the harness reads the CI-provided server URLs
    databaseUrl: process.env['DATABASE_URL'] || undefined,
    // eslint-disable-next-line no-restricted-syntax -- the harness reads the CI-provided server URLs
    redisUrl: process.env['REDIS_URL'] || undefined,
    inherited,
  };
}

/**
 * Both server URLs: the stack; neither: the embedded default. One without the
 * other is refused, because a suite that silently ran half on each would
 * prove neither.
 */
export function resolveBackend(env: Pick<TestEnvironment, 'databaseUrl' | 'redisUrl'>): Backend {
  if (env.databaseUrl && env.redisUrl) return 'postgres+redis';
  if (!env.databaseUrl && !env.redisUrl) return 'embedded';
  const missing = env.databaseUrl ? 'REDIS_URL' : 'DATABASE_URL';
  throw new Error(
    `e2e: set both DATABASE_URL and REDIS_URL (postgres+redis) or neither (embedded); ${missing} is missing`,
  );
}
