import type { ScaleSettings } from './scale-types';

/**
 * `npm run bench -- --scale`: about 8 minutes of gateway series on a 2-core
 * machine (12 with the revocation list on Redis too), plus the storage
 * series and their seeding. Each size gets `loadSeconds` of load after an
 * unmeasured warm-up.
 */
export const FULL_SCALE: ScaleSettings = {
  smoke: false,
  connections: [10, 100, 1_000, 5_000],
  sessions: [10_000, 100_000, 1_000_000],
  denials: [1_000, 10_000, 100_000],
  // 1 000: below the verified-token cache's 10 000 entries, the baseline.
  distinctTokens: [1_000, 10_000, 50_000],
  users: [1_000, 1_000_000],
  loadSeconds: 15,
};

/** `npm run bench -- --scale --smoke` and the e2e suite: every series at two tiny sizes. */
export const SMOKE_SCALE: ScaleSettings = {
  smoke: true,
  connections: [2, 8],
  sessions: [100, 1_000],
  denials: [100, 1_000],
  distinctTokens: [10, 100],
  users: [100, 1_000],
  loadSeconds: 1,
};
