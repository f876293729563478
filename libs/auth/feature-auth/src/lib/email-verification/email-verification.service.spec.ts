import type {
  AccountToken,
  AccountTokenRepository,
  User,
  UserRepository,
} from '@svt/auth/data-access';
import type { AuthConfig } from '../auth.config';
import type { AccountMail } from '../mail/account-mail';
import type { MailMessage } from '../mail/mailer';
import type { AuditLog } from '../shared/audit-log';
import type { CredentialsService } from '../shared/credentials.service';
import type { ThrottleService } from '../shared/throttle.service';
import { EmailVerificationService } from './email-verification.service';

const NOW = 1_800_000_000_000;
const SHOP = 'https://shop.example';

const alice: User = {
  id: 'user-alice',
  email: 'alice@example.test',
  passwordHash: 'hashed',
  createdAt: NOW,
  credentialVersion: 0,
  emailVerifiedAt: null,
};

function setup(user: User = alice) {
  let current = user;
  const stored = new Map<string, AccountToken & { used: boolean }>();
  const tokens: AccountTokenRepository = {
    insert: async (token) => void stored.set(token.tokenHash, { ...token, used: false }),
    findUsable: async () => null,
    consume: async (hash) => {
      const token = stored.get(hash);
      if (!token || token.used) return null;
      token.used = true;
      return token;
    },
    deleteExpiredBefore: async () => 0,
  };
  const users = {
    findById: async (id: string) => (id === current.id ? current : null),
    markEmailVerified: async (_id: string, at: number) => {
      current = { ...current, emailVerifiedAt: current.emailVerifiedAt ?? at };
    },
  } as unknown as UserRepository;
  const mails: MailMessage[] = [];
  const events: string[] = [];
  const throttle = { limit: jest.fn(async () => undefined) };
  const service = new EmailVerificationService(
    tokens,
    users,
    { SHOP_ORIGIN: SHOP, EMAIL_VERIFICATION_TTL: 86_400 } as AuthConfig,
    { now: () => NOW },
    { authenticatedUser: async () => current } as unknown as CredentialsService,
    throttle as unknown as ThrottleService,
    { send: (message: MailMessage) => void mails.push(message) } as unknown as AccountMail,
    { record: (event: string) => void events.push(event) } as unknown as AuditLog,
  );
  return { service, stored, mails, events, throttle };
}

const afterAnswer = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const tokenIn = (mail: MailMessage): string => {
  const match = /#verify-email=([\w-]+)/.exec(mail.text);
  if (!match) throw new Error(`no verification link in ${mail.text}`);
  return match[1];
};

describe(EmailVerificationService.name, () => {
  it('mails a single-use link to the shop origin, stored only as a hash', async () => {
    const { service, mails, stored } = setup();
    service.sendLinkLater(alice);
    expect(mails).toEqual([]);
    await afterAnswer();
    await afterAnswer();
    expect(mails).toHaveLength(1);
    expect(mails[0].text).toContain(`${SHOP}/#verify-email=`);
    const token = tokenIn(mails[0]);
    expect(stored.has(token)).toBe(false);
    expect([...stored.values()]).toEqual([
      expect.objectContaining({ purpose: 'email_verification', expiresAt: NOW + 86_400_000 }),
    ]);
  });

  it('verifies the address once and refuses the token after that', async () => {
    const { service, mails, events } = setup();
    service.sendLinkLater(alice);
    await afterAnswer();
    await afterAnswer();
    const token = tokenIn(mails[0]);
    await expect(service.verify(token)).resolves.toEqual({
      id: alice.id,
      email: alice.email,
      emailVerified: true,
    });
    await expect(service.verify(token)).rejects.toMatchObject({
      code: 'invalid_verification_token',
    });
    expect(events).toEqual(['email.verification_sent', 'email.verified']);
  });

  it('refuses an unknown token with invalid_verification_token', async () => {
    await expect(setup().service.verify('made-up')).rejects.toMatchObject({
      code: 'invalid_verification_token',
    });
  });

  it('sends no new link for an address that is verified already, but still counts the request', async () => {
    const { service, mails, throttle } = setup({ ...alice, emailVerifiedAt: NOW });
    await service.resend(alice.id);
    await afterAnswer();
    await afterAnswer();
    expect(mails).toEqual([]);
    expect(throttle.limit).toHaveBeenCalledWith('verify-account', alice.id);
  });
});
