import { z } from 'zod';
import { env } from './env-fields';
import { ConfigError, loadConfig } from './load-config';
import { checkSsoCookieSecret, DEV_SSO_COOKIE_SECRET, ssoFields } from './sso-fields';

const schema = z
  .object({
    NODE_ENV: env.nodeEnv,
    HOST: env.host,
    DATABASE_URL: env.databaseUrl,
    ...ssoFields,
  })
  .superRefine(checkSsoCookieSecret);
const load = (vars: Record<string, string>) => loadConfig('rp', schema, vars);
const SECRET = 'a-real-random-secret-of-32-characters-or-more';

describe('ssoFields', () => {
  it("has AUTH's session lifetimes by default, and the development placeholder", () => {
    expect(load({})).toMatchObject({
      SSO_COOKIE_SECRET: DEV_SSO_COOKIE_SECRET,
      SESSION_TTL: 28_800,
      SESSION_IDLE_TTL: 1800,
    });
  });

  it('refuses a secret shorter than 32 characters', () => {
    expect(() => load({ SSO_COOKIE_SECRET: 'short' })).toThrow(
      /SSO_COOKIE_SECRET: must be at least 32 characters/,
    );
  });

  describe(checkSsoCookieSecret.name, () => {
    it.each([
      ['in production', { NODE_ENV: 'production' }],
      ['with DATABASE_URL', { DATABASE_URL: 'postgres://db/svt' }],
      ['on a HOST beyond loopback', { HOST: '0.0.0.0' }],
    ])('refuses the placeholder %s', (_where, vars) => {
      expect(() => load(vars)).toThrow(ConfigError);
      expect(() => load(vars)).toThrow(/SSO_COOKIE_SECRET: the development placeholder is refused/);
    });

    it('accepts the placeholder on a developer machine', () => {
      expect(() => load({ NODE_ENV: 'development', HOST: '127.0.0.1' })).not.toThrow();
    });

    it('accepts a real secret in production', () => {
      expect(load({ NODE_ENV: 'production', SSO_COOKIE_SECRET: SECRET }).SSO_COOKIE_SECRET).toBe(
        SECRET,
      );
    });
  });
});
