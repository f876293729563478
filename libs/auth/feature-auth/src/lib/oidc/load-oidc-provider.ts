import type * as OidcProviderModule from 'oidc-provider';

/**
 * Loads `oidc-provider`, which warns with `console.warn` as it loads on a
 * runtime older than Node 22 ("Unsupported runtime"). Every line a service
 * writes is JSON, for the log pipeline: the warning goes to `warn` (a line
 * of the service's logger) instead of a bare line on stderr.
 */
export async function loadOidcProvider(
  warn: (message: string) => void,
): Promise<typeof OidcProviderModule> {
  const consoleWarn = console.warn;
  console.warn = (...parts: unknown[]) => warn(parts.map(String).join(' '));
  try {
    return await import('oidc-provider');
  } finally {
    console.warn = consoleWarn;
  }
}
