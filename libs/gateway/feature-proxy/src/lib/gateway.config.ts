import { z } from 'zod';
import {
  checkLogFormat,
  checkRedisCluster,
  checkSsoCookieSecret,
  env,
  isOrigin,
  jwksFields,
  dpopFields,
  sharedStateFields,
  ssoFields,
} from '@svt/shared/util-config';

/** The variables of the gateway, each on its own; `gatewayConfigSchema` adds the rules between them. */
const gatewayFields = z.object({
  NODE_ENV: env.nodeEnv,
  LOG_FORMAT: env.logFormat,
  LOG_LEVEL: env.logLevel,
  HOST: env.host,
  PORT: env.port(8080),
  METRICS_PORT: env.metricsPort(9180),
  SHOP_ORIGIN: env.origin('http://shop.localhost:8080'),
  ALLOWED_ORIGINS: env.origins,
  AUTH_ORIGIN: env.origin('http://auth.localhost:8081'),
  AUTH_URL: env.url('http://127.0.0.1:8081'),
  CART_URL: env.url('http://127.0.0.1:8082'),
  CART_ORIGIN: env.origin('http://cart.localhost:8082'),
  ACCESS_TOKEN_AUDIENCE: z.string().min(1).default('svt-api'),
  TOKEN_CACHE_SIZE: env.tokenCacheSize,
  IDENTITY_TOKEN_TTL: env.seconds(60, 60),
  ...jwksFields,
  TRUSTED_PROXIES: env.trustedProxies('none'),
  SESSION_COOKIE_DOMAIN: env.cookieDomain,
  /**
   * The same gateway under a same-site sibling host, for the lab (default:
   * SHOP's host with `api.` in front). Pages on SHOP may call it with CORS.
   */
  API_ORIGIN: z
    .string()
    .refine(isOrigin, 'must be an origin such as http://api.shop.example')
    .optional(),
  /**
   * `true`: the OpenAPI document and Swagger UI at `/docs`. Unset: everywhere
   * but production (see `docsPublic`): on the internet-facing edge they map
   * every route for anyone. AUTH and CART, internal, always serve theirs.
   */
  DOCS_PUBLIC: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .transform((v) => v === 'true')
    .optional(),
  /** The built demo page (`npm run build` makes it). */
  DEMO_DIR: z.string().min(1).default('dist/apps/shop-web'),
  ...dpopFields,
  ...sharedStateFields,
  ...ssoFields,
  BODY_LIMIT: env.bodyLimit,
  SHUTDOWN_DELAY_MS: env.shutdownDelayMs,
});

/** Environment of the gateway. `.env.example` documents each variable. */
export const gatewayConfigSchema = gatewayFields.superRefine((config, ctx) => {
  checkRedisCluster(config, ctx);
  checkLogFormat(config, ctx);
  checkSsoCookieSecret(config, ctx);
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

/** Whether the gateway serves `/docs`: DOCS_PUBLIC, or by default outside production only. */
export function docsPublic(config: Pick<GatewayConfig, 'DOCS_PUBLIC' | 'NODE_ENV'>): boolean {
  return config.DOCS_PUBLIC ?? config.NODE_ENV !== 'production';
}

/** API_ORIGIN, or SHOP's origin with `api.` in front of its host. */
export function apiOrigin(config: Pick<GatewayConfig, 'API_ORIGIN' | 'SHOP_ORIGIN'>): string {
  if (config.API_ORIGIN) return config.API_ORIGIN;
  const shop = new URL(config.SHOP_ORIGIN);
  shop.hostname = `api.${shop.hostname}`;
  return shop.origin;
}
