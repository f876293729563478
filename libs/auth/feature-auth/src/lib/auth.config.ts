import { z } from 'zod';
import { env } from '@svt/shared/util-config';

/** Development-only placeholder; refused when NODE_ENV=production. */
export const DEV_KEY_ENCRYPTION_SECRET = 'dev-only-key-encryption-secret-change-me';

/** Environment of the auth service. `.env.example` documents each variable. */
export const authConfigSchema = z
  .object({
    NODE_ENV: env.nodeEnv,
    HOST: env.host,
    PORT: env.port(8081),
    AUTH_ORIGIN: env.origin('http://auth.localhost:8081'),
    SHOP_ORIGIN: env.origin('http://shop.localhost:8080'),
    ALLOWED_ORIGINS: env.origins,
    DATA_DIR: env.dataDir,
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    REDIS_KEY_PREFIX: env.redisKeyPrefix,
    ACCESS_TOKEN_AUDIENCE: z.string().min(1).default('svt-api'),
    ACCESS_TOKEN_TTL: env.seconds(600, 900),
    REFRESH_TOKEN_TTL: env.seconds(14 * 24 * 3600),
    SESSION_TTL: env.seconds(8 * 3600),
    KEY_ENCRYPTION_SECRET: z
      .string()
      .min(32, 'must be at least 32 characters')
      .default(DEV_KEY_ENCRYPTION_SECRET),
    BODY_LIMIT: env.bodyLimit,
  })
  .superRefine((config, ctx) => {
    if (
      config.NODE_ENV === 'production' &&
      config.KEY_ENCRYPTION_SECRET === DEV_KEY_ENCRYPTION_SECRET
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['KEY_ENCRYPTION_SECRET'],
        message: 'the development placeholder is refused in production; set a random secret',
      });
    }
  });

export type AuthConfig = z.infer<typeof authConfigSchema>;
