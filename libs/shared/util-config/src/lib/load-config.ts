import type { z } from 'zod';

/** Thrown when the environment does not satisfy an app's schema. */
export class ConfigError extends Error {
  constructor(
    readonly app: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration for ${app}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates `env` against `schema` and returns a deeply frozen config.
 * Every problem is reported at once, so one run shows everything to fix.
 */
export function loadConfig<S extends z.ZodType>(
  app: string,
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
): Readonly<z.infer<S>> {
  const blankAsMissing = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(blankAsMissing);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(environment)';
      return `${where}: ${issue.message}`;
    });
    throw new ConfigError(app, problems);
  }
  return deepFreeze(result.data);
}

/**
 * Loads the config of an app's entry point; on failure prints every problem
 * and exits non-zero instead of starting half-configured.
 */
export function loadConfigOrExit<S extends z.ZodType>(
  app: string,
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
): Readonly<z.infer<S>> {
  try {
    return loadConfig(app, schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG, sysexits.h
    }
    throw error;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
