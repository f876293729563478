import { z } from 'zod';
import { env } from '@svt/shared/util-config';

/** Environment of the gateway. `.env.example` documents each variable. */
export const gatewayConfigSchema = z.object({
  NODE_ENV: env.nodeEnv,
  HOST: env.host,
  PORT: env.port(8080),
  SHOP_ORIGIN: env.origin('http://shop.localhost:8080'),
  ALLOWED_ORIGINS: env.origins,
  AUTH_ORIGIN: env.origin('http://auth.localhost:8081'),
  AUTH_URL: env.url('http://127.0.0.1:8081'),
  CART_URL: env.url('http://127.0.0.1:8082'),
  CART_ORIGIN: env.origin('http://cart.localhost:8082'),
  ACCESS_TOKEN_AUDIENCE: z.string().min(1).default('svt-api'),
  IDENTITY_TOKEN_TTL: env.seconds(60, 60),
  JWKS_REFRESH_INTERVAL: env.seconds(30),
  TRUSTED_PROXIES: env.trustedProxies('none'),
  DATA_DIR: env.dataDir,
  REDIS_URL: env.redisUrl,
  REDIS_KEY_PREFIX: env.redisKeyPrefix,
  BODY_LIMIT: env.bodyLimit,
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
