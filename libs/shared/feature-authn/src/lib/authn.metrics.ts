import { Counter, Histogram } from 'prom-client';

/**
 * `session` (cookie), `dbsc` (a device-bound session's cookies), `bearer` or
 * `dpop` (access token) or `identity` (the gateway's identity token).
 */
export type AuthnMethod = 'session' | 'dbsc' | 'bearer' | 'dpop' | 'identity';

const METHOD_OF: Readonly<Record<string, AuthnMethod>> = {
  'session-cookie': 'session',
  'device-bound-session': 'dbsc',
  bearer: 'bearer',
  dpop: 'dpop',
  'identity-token': 'identity',
};

/** Every authentication decision on a protected route, by credential and outcome. */
export const authnOutcomes = new Counter({
  name: 'authn_outcomes_total',
  help: 'Authentication outcomes on protected routes, by method and result.',
  labelNames: ['method', 'result'] as const,
});

/** The labelled counters, bound once: every protected request counts one. */
const boundOutcomes = new Map<string, Counter.Internal>();

/** Counts one decision: `authenticated`, `rejected` (a bad credential) or `none` (no credential). */
export function countOutcome(
  authenticator: string | null,
  result: 'authenticated' | 'rejected' | 'none',
): void {
  const key = `${authenticator}\n${result}`;
  let counter = boundOutcomes.get(key);
  if (counter === undefined) {
    counter = authnOutcomes.labels({
      method: authenticator === null ? 'none' : (METHOD_OF[authenticator] ?? authenticator),
      result,
    });
    boundOutcomes.set(key, counter);
  }
  counter.inc();
}

/** Round trips to the shared state behind authentication: sessions, the denylist, DPoP proof ids. */
export const storeDuration = new Histogram({
  name: 'authn_store_duration_seconds',
  help: 'Time of session-store, denylist and DPoP replay-cache calls made while authenticating.',
  labelNames: ['store', 'operation', 'outcome'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
});

/** Times `work` under `store`/`operation`, labelled ok or error. */
export async function timed<T>(
  store: 'sessions' | 'denylist' | 'replays',
  operation: string,
  work: Promise<T>,
): Promise<T> {
  const end = storeDuration.startTimer({ store, operation });
  try {
    const result = await work;
    end({ outcome: 'ok' });
    return result;
  } catch (error) {
    end({ outcome: 'error' });
    throw error;
  }
}

/** JWKS fetches of a verifier, by outcome. */
export const jwksFetchDuration = new Histogram({
  name: 'jwks_fetch_duration_seconds',
  help: 'Time to fetch and import a JWKS, by outcome.',
  labelNames: ['outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

/** Lookups in a verified-token cache, by cache (`bearer`, `identity-token`) and `hit` or `miss`. */
export const tokenCacheLookups = new Counter({
  name: 'authn_token_cache_total',
  help: 'Verified-token cache lookups, by cache and result (hit or miss).',
  labelNames: ['cache', 'result'] as const,
});
