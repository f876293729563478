import { z } from 'zod';
import { env, isLoopbackHost } from './env-fields';

/**
 * Development-only placeholder for SSO_COOKIE_SECRET: refused in production,
 * with a DATABASE_URL and on a HOST beyond loopback (see `checkSsoCookieSecret`),
 * as AUTH refuses its KEY_ENCRYPTION_SECRET placeholder.
 */
export const DEV_SSO_COOKIE_SECRET = 'dev-only-sso-cookie-secret-change-me';

/**
 * What a relying party of single sign-on needs (the gateway, CART): the
 * secret sealing its flow cookie, and the lifetimes of the sessions it
 * starts, with AUTH's defaults so that a session lasts as long wherever it
 * was started.
 */
export const ssoFields = {
  /** 32+ random characters; the key of the flow cookie is derived from it (HKDF) per relying party. */
  SSO_COOKIE_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .default(DEV_SSO_COOKIE_SECRET),
  SESSION_TTL: env.seconds(8 * 3600),
  SESSION_IDLE_TTL: env.seconds(30 * 60),
};

/** The parsed `ssoFields`. */
export type SsoConfig = Readonly<z.output<z.ZodObject<typeof ssoFields>>>;

/**
 * Refuses the development placeholder of SSO_COOKIE_SECRET wherever a flow
 * cookie sealed with it would outlive a developer's machine: anyone knowing
 * the placeholder could forge a flow (its state, nonce and PKCE verifier).
 */
export function checkSsoCookieSecret(
  config: {
    readonly NODE_ENV: string;
    readonly HOST: string;
    readonly SSO_COOKIE_SECRET: string;
    readonly DATABASE_URL?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  if (
    config.SSO_COOKIE_SECRET === DEV_SSO_COOKIE_SECRET &&
    (config.NODE_ENV === 'production' ||
      config.DATABASE_URL !== undefined ||
      !isLoopbackHost(config.HOST))
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['SSO_COOKIE_SECRET'],
      message:
        'the development placeholder is refused in production, with DATABASE_URL, and on a HOST beyond loopback; set a random secret',
    });
  }
}
