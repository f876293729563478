import type { z } from 'zod';
import { env } from './env-fields';

/**
 * Where a service keeps the state it shares with the others (sessions, the
 * denylist, rate-limit counters): Redis with REDIS_URL, otherwise a SQLite
 * file under DATA_DIR that the local processes share. Spread into a service's
 * schema; `ServiceCoreModule` opens the store from them.
 */
export const sharedStateFields = {
  DATA_DIR: env.dataDir,
  REDIS_URL: env.redisUrl,
  REDIS_CLUSTER: env.redisCluster,
  REDIS_COMMAND_TIMEOUT_MS: env.redisCommandTimeoutMs,
  REDIS_KEY_PREFIX: env.redisKeyPrefix,
};

/** How a service that verifies another's tokens keeps that service's JWKS. */
export const jwksFields = {
  JWKS_REFRESH_INTERVAL: env.seconds(30),
  /**
   * How long the JWKS may go unrefreshed (AUTH unreachable) before Bearer
   * requests get 503: by default the longest an access token lives.
   */
  JWKS_MAX_STALENESS: env.seconds(600),
};

/**
 * DPoP (RFC 9449), in every service that accepts access tokens. Bound tokens
 * are always accepted; these make them the only kind.
 */
export const dpopFields = {
  /** `true`: token requests need a proof, and `Authorization: Bearer` is refused. */
  DPOP_REQUIRED: env.flag,
  /**
   * `true`: every proof must carry a nonce this service issued (RFC 9449 §8,
   * §9), answered in `DPoP-Nonce`; it bounds how long a proof made in
   * advance stays usable.
   */
  DPOP_NONCE_REQUIRED: env.flag,
};

/**
 * Device Bound Session Credentials (W3C DBSC), in every service that reads
 * the shop's session cookie (the gateway and AUTH).
 */
export const deviceBindingFields = {
  /**
   * `true`: a session is accepted only once its browser bound it to a
   * device key; API clients and browsers without DBSC are refused.
   */
  DBSC_REQUIRED: env.flag,
};

/** The parsed `dpopFields`. */
export type DpopConfig = Readonly<z.output<z.ZodObject<typeof dpopFields>>>;

/** The parsed `sharedStateFields`. */
export type SharedStateConfig = Readonly<z.output<z.ZodObject<typeof sharedStateFields>>>;

/** The parsed `jwksFields`. */
export type JwksConfig = Readonly<z.output<z.ZodObject<typeof jwksFields>>>;
