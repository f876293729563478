import { z } from 'zod';
import {
  checkLogFormat,
  checkRedisCluster,
  checkSsoCookieSecret,
  env,
  jwksFields,
  dpopFields,
  sharedStateFields,
  ssoFields,
} from '@svt/shared/util-config';

/** The variables of the cart service, each on its own; `cartConfigSchema` adds the rules between them. */
const cartFields = z.object({
  NODE_ENV: env.nodeEnv,
  LOG_FORMAT: env.logFormat,
  LOG_LEVEL: env.logLevel,
  HOST: env.host,
  PORT: env.port(8082),
  METRICS_PORT: env.metricsPort(9182),
  CART_ORIGIN: env.origin('http://cart.localhost:8082'),
  SHOP_ORIGIN: env.origin('http://shop.localhost:8080'),
  AUTH_ORIGIN: env.origin('http://auth.localhost:8081'),
  AUTH_URL: env.url('http://127.0.0.1:8081'),
  GATEWAY_URL: env.url('http://127.0.0.1:8080'),
  ACCESS_TOKEN_AUDIENCE: z.string().min(1).default('svt-api'),
  TOKEN_CACHE_SIZE: env.tokenCacheSize,
  ...jwksFields,
  SESSION_COOKIE_DOMAIN: env.cookieDomain,
  DATABASE_URL: env.databaseUrl,
  ...dpopFields,
  ...sharedStateFields,
  ...ssoFields,
  BODY_LIMIT: env.bodyLimit,
  SHUTDOWN_DELAY_MS: env.shutdownDelayMs,
  /** The most different items one cart may hold: a PUT of another sku is then 409 cart_full. */
  CART_MAX_ITEMS: z.coerce.number().int().min(1).max(10_000).default(100),
  /** PUTs and DELETEs per user and window, shared by every replica: 429 above it. */
  RATE_LIMIT_CART_WRITES: env.rateLimit('120/60'),
});

/** Environment of the cart service. `.env.example` documents each variable. */
export const cartConfigSchema = cartFields.superRefine((config, ctx) => {
  checkRedisCluster(config, ctx);
  checkLogFormat(config, ctx);
  checkSsoCookieSecret(config, ctx);
});

export type CartConfig = z.infer<typeof cartConfigSchema>;
