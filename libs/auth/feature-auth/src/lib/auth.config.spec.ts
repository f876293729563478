import { authConfigSchema, DEV_KEY_ENCRYPTION_SECRET, DEV_SMTP_URL, smtpUrl } from './auth.config';

const SECRET = 'a-random-secret-of-at-least-32-characters';

const keyIssues = (env: Record<string, string>): string[] => {
  const parsed = authConfigSchema.safeParse(env);
  return parsed.success
    ? []
    : parsed.error.issues
        .filter((issue) => issue.path[0] === 'KEY_ENCRYPTION_SECRET')
        .map((issue) => issue.message);
};

describe('authConfigSchema', () => {
  it('gives a refresh retry 2 seconds of grace by default', () => {
    expect(authConfigSchema.parse({}).REFRESH_TOKEN_REUSE_GRACE).toBe(2);
  });

  describe('mailed links', () => {
    it('last a day for verification and 30 minutes for a reset, and verification is optional by default', () => {
      expect(authConfigSchema.parse({})).toMatchObject({
        EMAIL_VERIFICATION_TTL: 86_400,
        PASSWORD_RESET_TTL: 1800,
        REQUIRE_VERIFIED_EMAIL: false,
      });
    });

    it.each<[string, string]>([
      ['EMAIL_VERIFICATION_TTL', '86401'],
      ['PASSWORD_RESET_TTL', '1801'],
      ['PASSWORD_RESET_TTL', '0'],
      ['REQUIRE_VERIFIED_EMAIL', 'yes'],
    ])('refuses %s=%s', (name, value) => {
      const parsed = authConfigSchema.safeParse({ [name]: value });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues.map((issue) => issue.path[0])).toEqual([name]);
    });

    it('accepts a reset link of one second, for tests', () => {
      expect(authConfigSchema.parse({ PASSWORD_RESET_TTL: '1' }).PASSWORD_RESET_TTL).toBe(1);
    });
  });

  describe('the development placeholder of KEY_ENCRYPTION_SECRET', () => {
    it.each<[string, Record<string, string>]>([
      ['in development on loopback, the default', {}],
      ['on 127.0.0.2', { HOST: '127.0.0.2' }],
      ['on ::1', { HOST: '::1' }],
      ['on localhost', { HOST: 'localhost' }],
    ])('is accepted %s', (_, env) => {
      expect(keyIssues(env)).toEqual([]);
    });

    it.each<[string, Record<string, string>]>([
      ['in production', { NODE_ENV: 'production' }],
      ['with a DATABASE_URL', { DATABASE_URL: 'postgres://db/auth' }],
      ['on a HOST beyond loopback', { HOST: '0.0.0.0' }],
      ['on a public address', { HOST: '203.0.113.7' }],
    ])('is refused %s', (_, env) => {
      expect(keyIssues(env)).toEqual([expect.stringMatching(/development placeholder is refused/)]);
      expect(keyIssues({ ...env, KEY_ENCRYPTION_SECRET: DEV_KEY_ENCRYPTION_SECRET })).toHaveLength(
        1,
      );
      expect(keyIssues({ ...env, KEY_ENCRYPTION_SECRET: SECRET })).toEqual([]);
    });
  });

  describe('SMTP_URL', () => {
    const smtpIssues = (env: Record<string, string>): string[] => {
      const parsed = authConfigSchema.safeParse(env);
      return parsed.success
        ? []
        : parsed.error.issues
            .filter((issue) => issue.path[0] === 'SMTP_URL')
            .map((issue) => issue.message);
    };

    it('sends to the development mail catcher when unset outside production', () => {
      expect(smtpUrl(authConfigSchema.parse({}))).toBe(DEV_SMTP_URL);
    });

    it('must be set in production', () => {
      expect(smtpIssues({ NODE_ENV: 'production' })).toEqual([
        expect.stringMatching(/must be set in production/),
      ]);
      expect(smtpIssues({ NODE_ENV: 'production', SMTP_URL: 'smtps://mail.example:465' })).toEqual(
        [],
      );
    });

    it.each(['smtp://mail:1025', 'smtps://user:pass@mail.example:465', 'smtp://mail.example:587'])(
      'accepts %s',
      (url) => {
        expect(smtpUrl(authConfigSchema.parse({ SMTP_URL: url }))).toBe(url);
      },
    );

    it.each(['http://mail.example', 'mail.example:25', 'smtp://', ''])('refuses %j', (url) => {
      expect(smtpIssues({ SMTP_URL: url })).toEqual([
        expect.stringMatching(/smtp:\/\/ or smtps:\/\//),
      ]);
    });
  });

  it('sends as Session vs Token unless MAIL_FROM says otherwise', () => {
    expect(authConfigSchema.parse({}).MAIL_FROM).toBe('Session vs Token <no-reply@auth.localhost>');
    expect(authConfigSchema.parse({ MAIL_FROM: 'Shop <no-reply@shop.example>' }).MAIL_FROM).toBe(
      'Shop <no-reply@shop.example>',
    );
  });
});
