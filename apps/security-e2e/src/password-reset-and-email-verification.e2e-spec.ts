import {
  expectProblem,
  expectStatus,
  http,
  loginWithToken,
  registerUser,
  startSystem,
  strongPassword,
  uniqueEmail,
} from '@svt/shared/testing';
import type {
  HttpClient,
  HttpResponse,
  MeteredService,
  RegisteredUser,
  SystemUnderTest,
} from '@svt/shared/testing';
import { auditEntries, sleep } from './support';

/**
 * Attacks on the mailed links (OWASP Forgot Password Cheat Sheet; ASVS 5.0
 * §6.4): a link is single-use, short-lived, bound to its own account and to
 * the password it was sent for; asking for one tells nothing about whether
 * an account uses the address, by answer or by time; and a forged Host does
 * not move the link off the shop's origin.
 */

/** Generous per-address limits: the timing test asks many times about two addresses. */
const FORGOT_EMAIL_LIMIT = 50;

let sut: SystemUnderTest;
let auth: HttpClient;
let shop: HttpClient;

beforeAll(async () => {
  sut = await startSystem({
    env: {
      auth: {
        RATE_LIMIT_FORGOT_IP: '100000/3600',
        RATE_LIMIT_FORGOT_EMAIL: `${FORGOT_EMAIL_LIMIT}/3600`,
        RATE_LIMIT_REGISTER_IP: '100000/3600',
      },
    },
  });
  auth = http(sut.auth);
  shop = http(sut.shop);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

async function mailedToken(to: string, key: 'verify-email' | 'reset-password'): Promise<string> {
  const mail = await sut.mail.waitForMail(to, (caught) =>
    caught.links.some((link) => link.includes(`#${key}=`)),
  );
  return sut.mail.linkIn(mail, key);
}

async function requestReset(user: RegisteredUser, client: HttpClient = auth): Promise<string> {
  await sut.mail.clear();
  expectStatus(await client.post('/auth/password/forgot', { email: user.email }), 202);
  return mailedToken(user.email, 'reset-password');
}

const reset = (token: string, newPassword = strongPassword(), client: HttpClient = auth) =>
  client.post('/auth/password/reset', { token, newPassword });

async function expectPassword(user: RegisteredUser, password: string): Promise<void> {
  expectStatus(await auth.post('/auth/token', { email: user.email, password }), 201);
}

async function expectNotPassword(user: RegisteredUser, password: string): Promise<void> {
  expectProblem(
    await auth.post('/auth/token', { email: user.email, password }),
    401,
    'invalid_credentials',
  );
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

describe('reset token reuse', () => {
  it('refuses a used token with 400 invalid_reset_token, and the first new password stays', async () => {
    const user = await registerUser(auth);
    const token = await requestReset(user);
    const first = strongPassword();
    expectStatus(await reset(token, first), 204);

    const second = strongPassword();
    expectProblem(await reset(token, second), 400, 'invalid_reset_token');

    await expectPassword(user, first);
    await expectNotPassword(user, second);
  });

  it('lets exactly one of many concurrent resets with one token through', async () => {
    const user = await registerUser(auth);
    const token = await requestReset(user);
    const answers = await Promise.all(Array.from({ length: 8 }, () => reset(token)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([
      204,
      ...Array<number>(7).fill(400),
    ]);
  });
});

describe('an expired reset token', () => {
  let shortLived: MeteredService;

  beforeAll(async () => {
    shortLived = await sut.startReplica('auth', { PASSWORD_RESET_TTL: '1' });
  }, 60_000);

  it('is refused with 400 invalid_reset_token once its PASSWORD_RESET_TTL passed', async () => {
    const replica = http(shortLived);
    const user = await registerUser(auth);
    const token = await requestReset(user, replica);
    await sleep(1_500);
    expectProblem(await reset(token, strongPassword(), replica), 400, 'invalid_reset_token');
    expectProblem(await reset(token), 400, 'invalid_reset_token');
    await expectPassword(user, user.password);
  });
});

describe('a token for another account', () => {
  it("resets only the account it was mailed for, and leaves the other's token working", async () => {
    const alice = await registerUser(auth);
    const bob = await registerUser(auth);
    const aliceToken = await requestReset(alice);
    const bobToken = await requestReset(bob);
    const newPassword = strongPassword();

    expectStatus(await reset(aliceToken, newPassword), 204);

    await expectPassword(alice, newPassword);
    await expectPassword(bob, bob.password);
    await expectNotPassword(bob, newPassword);
    expectStatus(await reset(bobToken), 204);
  });

  it('is not a verification token, and a verification token is not a reset token', async () => {
    const user = await registerUser(auth);
    const verification = await mailedToken(user.email, 'verify-email');
    const resetToken = await requestReset(user);
    expectProblem(await reset(verification), 400, 'invalid_reset_token');
    expectProblem(
      await auth.post('/auth/email/verify', { token: resetToken }),
      400,
      'invalid_verification_token',
    );
    await expectPassword(user, user.password);
  });
});

describe('a reset token after the password changed', () => {
  it('is refused once the owner changed the password since it was sent', async () => {
    const user = await registerUser(auth);
    const token = await requestReset(user);
    const { accessToken } = await loginWithToken(auth, user);
    const changed = strongPassword();
    const change = await auth.post(
      '/auth/password',
      { currentPassword: user.password, newPassword: changed },
      { bearer: accessToken },
    );
    expectStatus(change, 200);

    expectProblem(await reset(token), 400, 'invalid_reset_token');
    await expectPassword(user, changed);
  });

  it('is refused once another reset link was used', async () => {
    const user = await registerUser(auth);
    const older = await requestReset(user);
    const newer = await requestReset(user);
    const newPassword = strongPassword();
    expectStatus(await reset(newer, newPassword), 204);
    expectProblem(await reset(older), 400, 'invalid_reset_token');
    await expectPassword(user, newPassword);
  });
});

describe('enumeration through POST /auth/password/forgot', () => {
  /** Headers that differ between any two responses. */
  const VARYING = new Set(['date', 'x-request-id', 'request-id', 'traceparent']);
  const comparable = (response: HttpResponse<unknown>) => ({
    status: response.status,
    text: response.text,
    headers: Object.fromEntries(
      Object.entries(response.headers).filter(([name]) => !VARYING.has(name)),
    ),
  });

  it('answers a known and an unknown address identically, apart from ids and dates', async () => {
    const user = await registerUser(auth);
    const known = await auth.post('/auth/password/forgot', { email: user.email });
    const unknown = await auth.post('/auth/password/forgot', { email: uniqueEmail('nobody') });
    expectStatus(known, 202);
    expect(comparable(unknown)).toEqual(comparable(known));
  });

  it('answers a known and an unknown address in the same time (medians within 25 ms)', async () => {
    const user = await registerUser(auth);
    const nobody = uniqueEmail('nobody');
    const rounds = 20;
    const known: number[] = [];
    const unknown: number[] = [];
    const timed = async (email: string): Promise<number> => {
      const started = performance.now();
      const response = await auth.post('/auth/password/forgot', { email });
      expectStatus(response, 202);
      return performance.now() - started;
    };
    for (let round = 0; round < rounds; round += 1) {
      // Interleaved, in alternating order, so drift in the machine's load hits both alike.
      if (round % 2 === 0) {
        known.push(await timed(user.email));
        unknown.push(await timed(nobody));
      } else {
        unknown.push(await timed(nobody));
        known.push(await timed(user.email));
      }
    }
    console.log(
      `forgot, median answer time: known ${median(known).toFixed(2)} ms, unknown ${median(unknown).toFixed(2)} ms`,
    );
    expect(Math.abs(median(known) - median(unknown))).toBeLessThan(25);
  });

  it('limits requests per address with the same 429 whether an account uses it or not', async () => {
    const user = await registerUser(auth);
    const nobody = uniqueEmail('nobody');
    const last = async (email: string) => {
      let response = await auth.post('/auth/password/forgot', { email });
      for (let i = 1; i <= FORGOT_EMAIL_LIMIT; i += 1) {
        response = await auth.post('/auth/password/forgot', { email });
      }
      return response;
    };
    const [known, unknown] = [await last(user.email), await last(nobody)];
    expectProblem(known, 429, 'rate_limited');
    expectProblem(unknown, 429, 'rate_limited');
    expect(known.json).toEqual(unknown.json);
  });
});

describe('host-header poisoning of the mailed links', () => {
  const EVIL = 'evil.example';
  const poisoned = {
    host: EVIL,
    'x-forwarded-host': EVIL,
    'x-forwarded-proto': 'https',
    forwarded: `host=${EVIL};proto=https`,
    origin: undefined,
  };

  it.each([
    ['at AUTH', () => auth, '/auth'],
    ['through the gateway', () => shop, '/api/auth'],
  ])(
    'keeps the reset link on SHOP_ORIGIN when asked %s with forged host headers',
    async (_where, client, base) => {
      const user = await registerUser(auth);
      await sut.mail.clear();
      const response = await client().post(
        `${base}/password/forgot`,
        { email: user.email },
        { headers: poisoned },
      );
      expectStatus(response, 202);
      const mail = await sut.mail.waitForMail(user.email, (caught) =>
        caught.links.some((link) => link.includes('#reset-password=')),
      );
      expect(mail.links.map((link) => new URL(link).origin)).toEqual([sut.shop.origin]);
      expect(mail.text).not.toContain(EVIL);
    },
  );

  it('keeps the verification link on SHOP_ORIGIN when registering with forged host headers', async () => {
    const email = uniqueEmail();
    const response = await auth.post(
      '/auth/register',
      { email, password: strongPassword() },
      { headers: poisoned },
    );
    expectStatus(response, 201);
    const mail = await sut.mail.waitForMail(email);
    expect(mail.links.map((link) => new URL(link).origin)).toEqual([sut.shop.origin]);
  });
});

describe('verification token reuse', () => {
  it('verifies once and refuses the same token after that', async () => {
    const user = await registerUser(auth);
    const token = await mailedToken(user.email, 'verify-email');
    expectStatus(await auth.post('/auth/email/verify', { token }), 200);
    expectProblem(
      await auth.post('/auth/email/verify', { token }),
      400,
      'invalid_verification_token',
    );
  });

  it('lets exactly one of many concurrent verifications with one token through', async () => {
    const user = await registerUser(auth);
    const token = await mailedToken(user.email, 'verify-email');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => auth.post('/auth/email/verify', { token })),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([
      200,
      ...Array<number>(7).fill(400),
    ]);
  });
});

describe('the audit trail', () => {
  it('records the events of both flows, and never a token', async () => {
    const user = await registerUser(auth);
    const verification = await mailedToken(user.email, 'verify-email');
    expectStatus(await auth.post('/auth/email/verify', { token: verification }), 200);
    const token = await requestReset(user);
    expectStatus(await reset(token), 204);
    expectProblem(await reset(token), 400, 'invalid_reset_token');

    const output = sut.auth.output();
    const events = auditEntries(output).map((entry) => entry.event);
    for (const event of [
      'email.verification_sent',
      'email.verified',
      'password.reset_requested',
      'password.reset',
      'password.reset_failed',
    ]) {
      expect(events).toContain(event);
    }
    expect(output).not.toContain(verification);
    expect(output).not.toContain(token);
  });
});
