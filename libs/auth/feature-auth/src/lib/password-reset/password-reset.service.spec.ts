import type {
  AccountToken,
  AccountTokenRepository,
  User,
  UserRepository,
} from '@svt/auth/data-access';
import { AppError } from '@svt/shared/util-errors';
import { sha256Hex } from '@svt/shared/util-security';
import type { SignOutService } from '../account/sign-out.service';
import type { AuthConfig } from '../auth.config';
import type { AccountMail } from '../mail/account-mail';
import type { MailMessage } from '../mail/mailer';
import type { AuditLog } from '../shared/audit-log';
import type { CredentialsService } from '../shared/credentials.service';
import type { ServerKeys } from '../shared/server-keys';
import type { ThrottleService } from '../shared/throttle.service';
import { FORGOT_ANSWER, PasswordResetService } from './password-reset.service';

const NOW = 1_800_000_000_000;
const CLIENT = { ip: '203.0.113.7', userAgent: 'jest' };
const SHOP = 'https://shop.example';

const alice: User = {
  id: 'user-alice',
  email: 'alice@example.test',
  passwordHash: 'hashed',
  createdAt: NOW,
  credentialVersion: 3,
  emailVerifiedAt: null,
};

/** A service over in-memory fakes that record what it did. */
function setup() {
  const stored = new Map<string, AccountToken & { used: boolean }>();
  const tokens: AccountTokenRepository = {
    insert: async (token) => void stored.set(token.tokenHash, { ...token, used: false }),
    findUsable: async (hash) => {
      const token = stored.get(hash);
      return token && !token.used ? token : null;
    },
    consume: async (hash) => {
      const token = stored.get(hash);
      if (!token || token.used) return null;
      token.used = true;
      return token;
    },
    deleteExpiredBefore: async () => 0,
  };
  const lookups: string[] = [];
  const verified: string[] = [];
  const users = {
    findByEmail: async (email: string) => {
      lookups.push(email);
      return email === alice.email ? alice : null;
    },
    findById: async (id: string) => (id === alice.id ? alice : null),
    markEmailVerified: async (id: string) => void verified.push(id),
  } as unknown as UserRepository;
  const mails: MailMessage[] = [];
  const mail = {
    send: (message: MailMessage) => void mails.push(message),
  } as unknown as AccountMail;
  const passwords: string[] = [];
  const credentials = {
    setPassword: async (_id: string, password: string) => {
      passwords.push(password);
      return alice.credentialVersion + 1;
    },
  } as unknown as CredentialsService;
  const signOut = {
    afterPasswordChange: jest.fn(async () => ({ sessions: ['s1'], families: ['f1', 'f2'] })),
  };
  const events: string[] = [];
  const audit = { record: (event: string) => void events.push(event) } as unknown as AuditLog;
  const throttle = { limit: jest.fn(async () => undefined) };
  const service = new PasswordResetService(
    tokens,
    users,
    { SHOP_ORIGIN: SHOP, PASSWORD_RESET_TTL: 1800 } as AuthConfig,
    { now: () => NOW },
    credentials,
    signOut as unknown as SignOutService,
    throttle as unknown as ThrottleService,
    mail,
    { auditAccount: () => 'pseudonym' } as unknown as ServerKeys,
    audit,
  );
  return { service, stored, lookups, verified, mails, passwords, signOut, events, throttle };
}

const afterAnswer = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The token in the reset link of `mail`. */
const tokenIn = (mail: MailMessage): string => {
  const match = /#reset-password=([\w-]+)/.exec(mail.text);
  if (!match) throw new Error(`no reset link in ${mail.text}`);
  return match[1];
};

describe(PasswordResetService.name, () => {
  describe('forgot', () => {
    it('answers before the address is looked up, then mails a link to the shop origin', async () => {
      const { service, lookups, mails, stored } = setup();
      await expect(service.forgot(' Alice@Example.test', CLIENT)).resolves.toEqual(FORGOT_ANSWER);
      expect(lookups).toEqual([]);
      await afterAnswer();
      await afterAnswer();
      expect(lookups).toEqual([alice.email]);
      expect(mails).toHaveLength(1);
      expect(mails[0].to).toBe(alice.email);
      expect(mails[0].text).toContain(`${SHOP}/#reset-password=`);
      const token = tokenIn(mails[0]);
      expect(stored.get(sha256Hex(token))).toMatchObject({
        userId: alice.id,
        purpose: 'password_reset',
        credentialVersion: alice.credentialVersion,
        expiresAt: NOW + 1800 * 1000,
      });
      expect(stored.has(token)).toBe(false);
    });

    it('answers an unknown address alike and mails nothing', async () => {
      const { service, mails, stored } = setup();
      await expect(service.forgot('nobody@example.test', CLIENT)).resolves.toEqual(FORGOT_ANSWER);
      await afterAnswer();
      await afterAnswer();
      expect(mails).toEqual([]);
      expect(stored.size).toBe(0);
    });

    it('counts the request per client address and per normalised address', async () => {
      const { service, throttle } = setup();
      await service.forgot(' Alice@Example.test', CLIENT);
      expect(throttle.limit.mock.calls).toEqual([
        ['forgot-ip', CLIENT.ip],
        ['forgot-email', alice.email],
      ]);
    });
  });

  describe('reset', () => {
    async function requested() {
      const context = setup();
      await context.service.forgot(alice.email, CLIENT);
      await afterAnswer();
      await afterAnswer();
      return { ...context, token: tokenIn(context.mails[0]) };
    }

    it('sets the password, ends everything older, verifies the address and says so by mail', async () => {
      const { service, token, passwords, signOut, verified, mails, events } = await requested();
      await service.reset(token, 'a new passphrase', CLIENT);
      expect(passwords).toEqual(['a new passphrase']);
      expect(signOut.afterPasswordChange).toHaveBeenCalledWith({
        userId: alice.id,
        credentialVersion: alice.credentialVersion + 1,
      });
      expect(verified).toEqual([alice.id]);
      expect(mails.map((mail) => mail.subject)).toEqual([
        'Reset your password',
        'Your password was changed',
      ]);
      expect(events).toContain('password.reset');
    });

    it('refuses the same token a second time with invalid_reset_token', async () => {
      const { service, token, passwords, events } = await requested();
      await service.reset(token, 'a new passphrase', CLIENT);
      await expect(service.reset(token, 'another passphrase', CLIENT)).rejects.toMatchObject({
        code: 'invalid_reset_token',
      });
      expect(passwords).toEqual(['a new passphrase']);
      expect(events).toContain('password.reset_failed');
    });

    it('refuses an unknown token without counting against any account', async () => {
      const { service, throttle } = setup();
      await expect(service.reset('made-up', 'a new passphrase', CLIENT)).rejects.toBeInstanceOf(
        AppError,
      );
      expect(throttle.limit.mock.calls).toEqual([['reset-ip', CLIENT.ip]]);
    });

    it('counts an attempt with a live token against its account', async () => {
      const { service, token, throttle } = await requested();
      throttle.limit.mockClear();
      await service.reset(token, 'a new passphrase', CLIENT);
      expect(throttle.limit.mock.calls).toEqual([
        ['reset-ip', CLIENT.ip],
        ['reset-account', alice.id],
      ]);
    });
  });
});
