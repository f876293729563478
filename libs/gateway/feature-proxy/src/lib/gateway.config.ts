import { z } from 'zod';
import {
  checkLogFormat,
  checkRedisCluster,
  checkSsoCookieSecret,
  env,
  isOrigin,
  jwksFields,
  deviceBindingFields,
  dpopFields,
  sharedStateFields,
  ssoFields,
} from '@svt/shared/util-config';

/** Bounds of the live cart's WebSocket (`/api/cart/events`); docs/websocket.md explains each. */
const cartEventsFields = {
  /** Largest message a client may send (an `auth` message carries an access token): 1009 above it. */
  CART_EVENTS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).max(65_536).default(8192),
  /** Open sockets per user on one gateway replica; the next handshake gets 429. */
  CART_EVENTS_MAX_SOCKETS_PER_USER: z.coerce.number().int().min(1).max(1000).default(5),
  /** How often an idle socket is pinged; one that has not answered the last ping by then is dropped. */
  CART_EVENTS_PING_INTERVAL_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** Bytes a socket may hold unsent before its reader counts as too slow and is dropped. */
  CART_EVENTS_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(16_384)
    .max(16_777_216)
    .default(1_048_576),
  /** How long a socket opened without a credential may wait for its `auth` message. */
  CART_EVENTS_AUTH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /**
   * How often every socket's credential is checked again (sessions in the
   * store, tokens against the denylist and `exp`). At most 500: a socket
   * must close within 1 s of its credential's end.
   */
  CART_EVENTS_CHECK_INTERVAL_MS: z.coerce.number().int().min(50).max(500).default(250),
};

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
  /**
   * Where a development mail catcher shows AUTH's mail (`npm start` and
   * compose set it): the demo page links to it. Unset: no link; a real
   * deployment's mail goes to real mailboxes.
   */
  MAIL_CATCHER_ORIGIN: z
    .string()
    .refine(isOrigin, 'must be an origin such as http://mail.localhost:1080')
    .optional(),
  ...dpopFields,
  ...deviceBindingFields,
  ...sharedStateFields,
  ...ssoFields,
  BODY_LIMIT: env.bodyLimit,
  SHUTDOWN_DELAY_MS: env.shutdownDelayMs,
  ...cartEventsFields,
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
