import { z } from 'zod';
import {
  checkLogFormat,
  checkRedisCluster,
  env,
  isLoopbackHost,
  deviceBindingFields,
  dpopFields,
  sharedStateFields,
} from '@svt/shared/util-config';

/** The longest ACCESS_TOKEN_TTL that may be configured, in seconds (RFC 9068 tokens are short-lived). */
export const ACCESS_TOKEN_TTL_MAX = 900;

/**
 * Development-only placeholder: refused in production, with a DATABASE_URL,
 * and on a HOST beyond loopback, wherever keys sealed with it would outlive a
 * developer's machine.
 */
export const DEV_KEY_ENCRYPTION_SECRET = 'dev-only-key-encryption-secret-change-me';

/** Where mail goes unless SMTP_URL says otherwise: the mail catcher of `npm start`. */
export const DEV_SMTP_URL = 'smtp://127.0.0.1:1025';

/** Environment of the auth service. `.env.example` documents each variable. */
export const authConfigSchema = z
  .object({
    NODE_ENV: env.nodeEnv,
    LOG_FORMAT: env.logFormat,
    LOG_LEVEL: env.logLevel,
    HOST: env.host,
    PORT: env.port(8081),
    METRICS_PORT: env.metricsPort(9181),
    AUTH_ORIGIN: env.origin('http://auth.localhost:8081'),
    SHOP_ORIGIN: env.origin('http://shop.localhost:8080'),
    CART_ORIGIN: env.origin('http://cart.localhost:8082'),
    /** The relying parties' internal URLs: their client keys and back-channel logout endpoints. */
    GATEWAY_URL: env.url('http://127.0.0.1:8080'),
    CART_URL: env.url('http://127.0.0.1:8082'),
    ALLOWED_ORIGINS: env.origins,
    DATABASE_URL: env.databaseUrl,
    ...dpopFields,
    ...deviceBindingFields,
    ...sharedStateFields,
    ACCESS_TOKEN_AUDIENCE: z.string().min(1).default('svt-api'),
    TOKEN_CACHE_SIZE: env.tokenCacheSize,
    ACCESS_TOKEN_TTL: env.seconds(600, ACCESS_TOKEN_TTL_MAX),
    REFRESH_TOKEN_TTL: env.seconds(14 * 24 * 3600),
    REFRESH_TOKEN_IDLE_TTL: env.seconds(24 * 3600),
    REFRESH_TOKEN_REUSE_GRACE: z.coerce
      .number()
      .int()
      .min(0)
      .max(60, 'must be at most 60 seconds')
      .default(2),
    SESSION_TTL: env.seconds(8 * 3600),
    SESSION_IDLE_TTL: env.seconds(30 * 60),
    SESSION_COOKIE_DOMAIN: env.cookieDomain,
    /** Offer Device Bound Session Credentials at session login (a browser without them ignores it). */
    DBSC_ENABLED: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .default('true')
      .transform((v) => v === 'true'),
    /**
     * How long a device-bound session's bound cookie lives, seconds: a copied
     * cookie jar works that long. Chromium renews it once 120 s or less are
     * left and signs at most 6 times in 9 minutes, so under about 210 s an
     * active tab runs out of signatures; 300 renews it every 3 minutes.
     */
    DBSC_BOUND_COOKIE_TTL: env.seconds(300),
    /** How long a DBSC challenge may wait for its proof, seconds. */
    DBSC_CHALLENGE_TTL: env.seconds(300),
    /** How long a single sign-on session at AUTH lasts, seconds: a relying party signs in silently until then. */
    SSO_SESSION_TTL: env.seconds(8 * 3600),
    SESSION_STORE: z.enum(['shared', 'memory']).default('shared'),
    SIGNING_KEY_ACTIVATION_DELAY: z.coerce.number().int().min(0).default(120),
    SIGNING_KEY_ROTATION_INTERVAL: z.coerce.number().int().min(0).default(0),
    TRUSTED_PROXIES: env.trustedProxies('loopback'),
    RATE_LIMIT_LOGIN_IP: env.rateLimit('30/60'),
    RATE_LIMIT_REGISTER_IP: env.rateLimit('20/3600'),
    RATE_LIMIT_REGISTER_EMAIL: env.rateLimit('5/3600'),
    RATE_LIMIT_REFRESH_IP: env.rateLimit('120/60'),
    RATE_LIMIT_REFRESH_ACCOUNT: env.rateLimit('60/60'),
    /** Refuse a password login (after the password matched) until the address is verified. */
    REQUIRE_VERIFIED_EMAIL: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .default('false')
      .transform((v) => v === 'true'),
    /** How long an e-mail verification link works, seconds. */
    EMAIL_VERIFICATION_TTL: env.seconds(24 * 3600, 24 * 3600),
    /** How long a password reset link works, seconds (OWASP Forgot Password Cheat Sheet: short). */
    PASSWORD_RESET_TTL: env.seconds(1800, 1800),
    RATE_LIMIT_FORGOT_IP: env.rateLimit('10/3600'),
    RATE_LIMIT_FORGOT_EMAIL: env.rateLimit('3/3600'),
    RATE_LIMIT_RESET_IP: env.rateLimit('20/3600'),
    RATE_LIMIT_RESET_ACCOUNT: env.rateLimit('5/3600'),
    RATE_LIMIT_VERIFY_ACCOUNT: env.rateLimit('5/3600'),
    LOGIN_BACKOFF_AFTER: z.coerce.number().int().min(1).default(5),
    LOGIN_DEVICE_BACKOFF_AFTER: z.coerce.number().int().min(1).default(10),
    LOGIN_BACKOFF_MAX: env.seconds(15 * 60),
    LOGIN_FAILURE_WINDOW: env.seconds(15 * 60),
    /** Step-up (RFC 9470): how recent a second factor must be for sensitive routes, seconds. */
    STEP_UP_MAX_AGE: env.seconds(600),
    /** How long a login may wait for its second factor after the password, seconds. */
    PENDING_LOGIN_TTL: env.seconds(300),
    /** Wrong codes a pending login survives; the next login starts with the password again. */
    OTP_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
    /** The issuer an authenticator app shows next to the account (the otpauth URI's `issuer`). */
    TOTP_ISSUER: z.string().min(1).max(64).default('Session vs Token'),
    KEY_ENCRYPTION_SECRET: z
      .string()
      .min(32, 'must be at least 32 characters')
      .default(DEV_KEY_ENCRYPTION_SECRET),
    /**
     * The SMTP server for the account's mails: `smtp://host:587` (STARTTLS
     * when offered) or `smtps://host:465`, credentials as `user:pass@`.
     * Unset: the development mail catcher (DEV_SMTP_URL); production must name one.
     */
    SMTP_URL: z
      .string()
      .refine(
        (v) => /^smtps?:\/\/[^\s/]+/.test(v) && URL.canParse(v),
        'must be an smtp:// or smtps:// URL such as smtp://mail.example:587',
      )
      .optional(),
    /** The From header of the account's mails. */
    MAIL_FROM: z.string().trim().min(1).default('Session vs Token <no-reply@auth.localhost>'),
    BODY_LIMIT: env.bodyLimit,
    SHUTDOWN_DELAY_MS: env.shutdownDelayMs,
  })
  .superRefine((config, ctx) => {
    checkRedisCluster(config, ctx);
    checkLogFormat(config, ctx);
    if (config.SMTP_URL === undefined && config.NODE_ENV === 'production') {
      ctx.addIssue({
        code: 'custom',
        path: ['SMTP_URL'],
        message: `must be set in production (unset, mail would go to the development catcher at ${DEV_SMTP_URL})`,
      });
    }
    if (
      config.KEY_ENCRYPTION_SECRET === DEV_KEY_ENCRYPTION_SECRET &&
      (config.NODE_ENV === 'production' ||
        config.DATABASE_URL !== undefined ||
        !isLoopbackHost(config.HOST))
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['KEY_ENCRYPTION_SECRET'],
        message:
          'the development placeholder is refused in production, with DATABASE_URL, and on a HOST beyond loopback; set a random secret',
      });
    }
  });

/** The SMTP server AUTH sends through: SMTP_URL, or the development catcher outside production. */
export function smtpUrl(config: Pick<AuthConfig, 'SMTP_URL'>): string {
  return config.SMTP_URL ?? DEV_SMTP_URL;
}

export type AuthConfig = z.infer<typeof authConfigSchema>;
