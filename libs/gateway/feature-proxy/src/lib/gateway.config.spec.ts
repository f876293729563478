import { ConfigError, loadConfig } from '@svt/shared/util-config';
import { docsPublic, gatewayConfigSchema } from './gateway.config';

/** A real secret: production refuses the development placeholder. */
const SSO_COOKIE_SECRET = 'gateway-config-spec-sso-cookie-secret-0123456789';
const load = (env: Record<string, string>) =>
  loadConfig('gateway', gatewayConfigSchema, { SSO_COOKIE_SECRET, ...env });

describe('gateway config', () => {
  describe('DOCS_PUBLIC', () => {
    it.each([
      [false, 'in production', { NODE_ENV: 'production' }],
      [true, 'in development', { NODE_ENV: 'development' }],
      [true, 'in tests', { NODE_ENV: 'test' }],
      [true, 'without NODE_ENV (development)', {}],
    ])('defaults to %s %s', (expected, _when, env) => {
      expect(docsPublic(load(env))).toBe(expected);
    });

    it.each([
      [{ NODE_ENV: 'production', DOCS_PUBLIC: 'true' }, true],
      [{ NODE_ENV: 'development', DOCS_PUBLIC: 'false' }, false],
      [{ NODE_ENV: 'test', DOCS_PUBLIC: 'false' }, false],
    ])('an explicit value wins: %j → %s', (env, expected) => {
      expect(docsPublic(load(env))).toBe(expected);
    });

    it('refuses anything but true or false', () => {
      expect(() => load({ DOCS_PUBLIC: 'yes' })).toThrow(ConfigError);
      expect(() => load({ DOCS_PUBLIC: 'yes' })).toThrow(/DOCS_PUBLIC: must be true or false/);
    });
  });

  describe('MAIL_CATCHER_ORIGIN', () => {
    it('is absent unless set', () => {
      expect(load({}).MAIL_CATCHER_ORIGIN).toBeUndefined();
      expect(load({ MAIL_CATCHER_ORIGIN: 'http://mail.localhost:1080' }).MAIL_CATCHER_ORIGIN).toBe(
        'http://mail.localhost:1080',
      );
    });

    it('refuses anything but an origin', () => {
      expect(() => load({ MAIL_CATCHER_ORIGIN: 'http://mail.localhost:1080/inbox' })).toThrow(
        /MAIL_CATCHER_ORIGIN: must be an origin/,
      );
    });
  });

  describe('SSO_COOKIE_SECRET', () => {
    it('refuses the development placeholder in production', () => {
      expect(() => loadConfig('gateway', gatewayConfigSchema, { NODE_ENV: 'production' })).toThrow(
        /SSO_COOKIE_SECRET: the development placeholder is refused/,
      );
    });
  });

  describe('METRICS_PORT', () => {
    it('is 9180 by default, apart from PORT', () => {
      expect(load({})).toMatchObject({ PORT: 8080, METRICS_PORT: 9180 });
    });

    it.each(['65536', '-1', 'metrics', '91.5'])('refuses %s', (value) => {
      expect(() => load({ METRICS_PORT: value })).toThrow(/METRICS_PORT/);
    });
  });

  describe('TOKEN_CACHE_SIZE and LOG_LEVEL', () => {
    it('remember 10 000 tokens by default, and leave the level to NODE_ENV', () => {
      const config = load({});
      expect(config.TOKEN_CACHE_SIZE).toBe(10_000);
      expect(config.LOG_LEVEL).toBeUndefined();
      expect(load({ TOKEN_CACHE_SIZE: '50000', LOG_LEVEL: 'warn' })).toMatchObject({
        TOKEN_CACHE_SIZE: 50_000,
        LOG_LEVEL: 'warn',
      });
    });

    it.each([
      ['TOKEN_CACHE_SIZE', '0'],
      ['TOKEN_CACHE_SIZE', 'many'],
      ['LOG_LEVEL', 'verbose'],
    ])('refuses %s=%s', (name, value) => {
      expect(() => load({ [name]: value })).toThrow(new RegExp(name));
    });
  });
});
