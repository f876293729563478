import { setTimeout as sleep } from 'node:timers/promises';
import { Secret, TOTP } from 'otpauth';
import {
  ScriptedBrowser,
  decodeJwt,
  dpopRequestWithNonce,
  expectProblem,
  generateDpopKey,
  expectStatus,
  http,
  loginFormToken,
  loginWithToken,
  registerUser,
  startSystem,
} from '@svt/shared/testing';
import type {
  HttpClient,
  HttpResponse,
  JsonObject,
  RegisteredUser,
  SystemUnderTest,
  TokenBody,
} from '@svt/shared/testing';

/**
 * The TOTP second factor (RFC 6238), attacked: replayed codes, guessing,
 * skipping the second step, reused recovery codes, step-up (RFC 9470)
 * bypasses, turning it off without a code, and the OpenID Provider's login
 * page without the code. Short lifetimes make expiry testable.
 */

const STEP_UP_MAX_AGE = 3;
const PENDING_LOGIN_TTL = 4;
const OTP_ATTEMPTS = 3;

let sut: SystemUnderTest;
let auth: HttpClient;

beforeAll(async () => {
  sut = await startSystem({
    env: {
      auth: {
        STEP_UP_MAX_AGE: String(STEP_UP_MAX_AGE),
        PENDING_LOGIN_TTL: String(PENDING_LOGIN_TTL),
        OTP_ATTEMPTS: String(OTP_ATTEMPTS),
      },
    },
  });
  auth = http(sut.auth);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

interface EnrolledUser extends RegisteredUser {
  readonly secret: string;
  readonly recoveryCodes: string[];
  /** From a login before the second factor was on. */
  readonly passwordOnlyToken: string;
}

/** A user with TOTP on; its first code (this time step) is spent by the confirmation. */
async function enrolledUser(): Promise<EnrolledUser> {
  const user = await registerUser(auth);
  const passwordOnlyToken = (await loginWithToken(auth, user)).accessToken;
  const enrolment = await auth.post<JsonObject>('/auth/totp', undefined, {
    bearer: passwordOnlyToken,
  });
  expectStatus(enrolment, 201);
  const secret = String(enrolment.json?.['secret']);
  const confirmed = await auth.post<{ recoveryCodes: string[] }>(
    '/auth/totp/confirm',
    { code: codeOf(secret) },
    { bearer: passwordOnlyToken },
  );
  expectStatus(confirmed, 200);
  return { ...user, secret, recoveryCodes: confirmed.json?.recoveryCodes ?? [], passwordOnlyToken };
}

/** The authenticator's code for the time step `steps` away from now. */
function codeOf(secret: string, steps = 0): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    timestamp: Date.now() + steps * 30_000,
  });
}

/** A code of the right shape that is not the user's code in the window. */
function wrongCode(secret: string): string {
  const valid = new Set([-1, 0, 1].map((steps) => codeOf(secret, steps)));
  let code = 100_000;
  while (valid.has(String(code))) code++;
  return String(code);
}

type Kind = 'session' | 'token';

/** The password step: answers `second_factor_required`; resolves to the response and its handle. */
async function firstStep(
  user: RegisteredUser,
  kind: Kind,
): Promise<{ response: HttpResponse<JsonObject>; pendingLogin: string }> {
  const response = await auth.post<JsonObject>(`/auth/${kind}`, {
    email: user.email,
    password: user.password,
  });
  expectProblem(response, 401, 'second_factor_required');
  return { response, pendingLogin: String(response.json?.['pendingLogin']) };
}

function secondStep(kind: Kind, pendingLogin: string, code: string): Promise<HttpResponse> {
  return auth.post(`/auth/${kind}/second-factor`, { pendingLogin, code });
}

/** A full two-step token login with a recovery code. */
async function twoFactorTokens(user: EnrolledUser, recoveryCode: string): Promise<TokenBody> {
  const { pendingLogin } = await firstStep(user, 'token');
  const response = await auth.post<TokenBody>('/auth/token/second-factor', {
    pendingLogin,
    code: recoveryCode,
  });
  expectStatus(response, 201);
  return response.json as TokenBody;
}

describe('code replay', () => {
  it('accepts a code once: the same code again is refused, at the same and at the other login kind', async () => {
    const user = await enrolledUser();
    const code = codeOf(user.secret, 1);

    const first = await firstStep(user, 'session');
    expectStatus(await secondStep('session', first.pendingLogin, code), 201);

    const sameKind = await firstStep(user, 'session');
    expectProblem(await secondStep('session', sameKind.pendingLogin, code), 400, 'invalid_otp');
    const otherKind = await firstStep(user, 'token');
    expectProblem(await secondStep('token', otherKind.pendingLogin, code), 400, 'invalid_otp');
  });

  it('refuses the confirmation code at login: it was spent by the enrolment', async () => {
    const user = await enrolledUser();
    const { pendingLogin } = await firstStep(user, 'token');

    expectProblem(await secondStep('token', pendingLogin, codeOf(user.secret)), 400, 'invalid_otp');
  });
});

describe('brute force', () => {
  it(`kills a pending login after ${OTP_ATTEMPTS} wrong codes, even for the right code next`, async () => {
    const user = await enrolledUser();
    const { pendingLogin } = await firstStep(user, 'session');

    for (let i = 0; i < OTP_ATTEMPTS; i++) {
      expectProblem(
        await secondStep('session', pendingLogin, wrongCode(user.secret)),
        400,
        'invalid_otp',
      );
    }
    expectProblem(
      await secondStep('session', pendingLogin, codeOf(user.secret, 1)),
      401,
      'invalid_pending_login',
    );
  });

  it('backs off per account across fresh pending logins: guesses end in 429', async () => {
    const user = await enrolledUser();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { pendingLogin } = await firstStep(user, 'token');
      for (let j = 0; j < 2; j++) {
        statuses.push((await secondStep('token', pendingLogin, wrongCode(user.secret))).status);
      }
    }

    expect(statuses).toContain(429);
    expect(statuses.every((status) => status === 400 || status === 429)).toBe(true);
  });
});

describe('skipping the second step', () => {
  let user: EnrolledUser;

  beforeAll(async () => {
    user = await enrolledUser();
  });

  it('sets no cookie and issues no token at the first step', async () => {
    for (const kind of ['session', 'token'] as const) {
      const { response } = await firstStep(user, kind);

      expect(response.setCookie).toEqual([]);
      expect(response.json).not.toHaveProperty('access_token');
      expect(response.json).not.toHaveProperty('refresh_token');
      expect(response.json).not.toHaveProperty('csrfToken');
    }
  });

  it('refuses the pending login as a Bearer token and as a session cookie', async () => {
    const { pendingLogin } = await firstStep(user, 'session');

    expectProblem(await auth.get('/auth/me', { bearer: pendingLogin }), 401);
    const asCookie = await auth.get('/auth/me', {
      headers: { cookie: `__Host-Http-sid=${pendingLogin}; sid=${pendingLogin}` },
    });
    expectProblem(asCookie, 401);
  });

  it("refuses a pending login at the other kind's route", async () => {
    const session = await firstStep(user, 'session');
    const token = await firstStep(user, 'token');

    expectProblem(
      await secondStep('token', session.pendingLogin, user.recoveryCodes[0]),
      401,
      'invalid_pending_login',
    );
    expectProblem(
      await secondStep('session', token.pendingLogin, user.recoveryCodes[0]),
      401,
      'invalid_pending_login',
    );
  });

  it('refuses a pending login once it succeeded', async () => {
    const { pendingLogin } = await firstStep(user, 'token');
    expectStatus(await secondStep('token', pendingLogin, user.recoveryCodes[1]), 201);

    expectProblem(
      await secondStep('token', pendingLogin, user.recoveryCodes[2]),
      401,
      'invalid_pending_login',
    );
  });

  it('refuses a pending login after it expired', async () => {
    const { pendingLogin } = await firstStep(user, 'session');
    await sleep(PENDING_LOGIN_TTL * 1000 + 500);

    expectProblem(
      await secondStep('session', pendingLogin, user.recoveryCodes[3]),
      401,
      'invalid_pending_login',
    );
  }, 15_000);

  it('refuses a pending login after a password change', async () => {
    const other = await enrolledUser();
    const pending = await firstStep(other, 'session');
    const tokens = await twoFactorTokens(other, other.recoveryCodes[0]);
    const changed = await auth.post(
      '/auth/password',
      { currentPassword: other.password, newPassword: `${other.password}-changed` },
      { bearer: tokens.access_token },
    );
    expectStatus(changed, 200);

    expectProblem(
      await secondStep('session', pending.pendingLogin, other.recoveryCodes[1]),
      401,
      'invalid_pending_login',
    );
  });
});

describe('a DPoP token login', () => {
  it('finishes only with a proof by the key of the first step, and binds the tokens to it', async () => {
    const user = await enrolledUser();
    const [key, otherKey] = await Promise.all([generateDpopKey(), generateDpopKey()]);
    const first = await dpopRequestWithNonce<JsonObject>(auth, key, {
      method: 'POST',
      path: '/auth/token',
      json: { email: user.email, password: user.password },
    });
    expectProblem(first, 401, 'second_factor_required');
    const pendingLogin = first.json?.['pendingLogin'];
    const finish = (json: unknown, with_: typeof key): Promise<HttpResponse<TokenBody>> =>
      dpopRequestWithNonce<TokenBody>(auth, with_, {
        method: 'POST',
        path: '/auth/token/second-factor',
        json,
      });

    expectProblem(
      await finish({ pendingLogin, code: user.recoveryCodes[0] }, otherKey),
      401,
      'invalid_pending_login',
    );
    expectProblem(
      await secondStep('token', String(pendingLogin), user.recoveryCodes[0]),
      401,
      'invalid_pending_login',
    );
    const response = await finish({ pendingLogin, code: user.recoveryCodes[0] }, key);

    expectStatus(response, 201);
    expect(response.json?.token_type).toBe('DPoP');
    expect(decodeJwt(response.json?.access_token ?? '').payload['cnf']).toEqual({
      jkt: key.thumbprint,
    });
  });
});

describe('recovery codes', () => {
  it('accepts each recovery code once', async () => {
    const user = await enrolledUser();
    await twoFactorTokens(user, user.recoveryCodes[0]);
    const { pendingLogin } = await firstStep(user, 'session');

    expectProblem(
      await secondStep('session', pendingLogin, user.recoveryCodes[0]),
      400,
      'invalid_otp',
    );
    const status = await auth.get('/auth/totp', { bearer: user.passwordOnlyToken });
    expect(status.json).toMatchObject({ recoveryCodesLeft: 9 });
  });
});

describe('step-up bypass (RFC 9470)', () => {
  const expectStepUpRequired = (response: HttpResponse): void => {
    expectProblem(response, 401, 'step_up_required');
    expect(response.headers['www-authenticate']).toContain(
      'error="insufficient_user_authentication"',
    );
    expect(response.headers['www-authenticate']).toContain(`max_age=${STEP_UP_MAX_AGE}`);
  };

  it('refuses a password-only login', async () => {
    const user = await enrolledUser();

    expectStepUpRequired(await auth.get('/auth/sessions', { bearer: user.passwordOnlyToken }));
  });

  it('refuses a second-factor login older than STEP_UP_MAX_AGE', async () => {
    const user = await enrolledUser();
    const tokens = await twoFactorTokens(user, user.recoveryCodes[0]);
    expectStatus(await auth.get('/auth/sessions', { bearer: tokens.access_token }), 200);

    await sleep(STEP_UP_MAX_AGE * 1000 + 1000);

    expectStepUpRequired(await auth.get('/auth/sessions', { bearer: tokens.access_token }));
  }, 15_000);

  it('keeps the login auth_time through a refresh, so a refresh does not step up', async () => {
    const user = await enrolledUser();
    const tokens = await twoFactorTokens(user, user.recoveryCodes[0]);
    await sleep(STEP_UP_MAX_AGE * 1000 + 1000);

    const refreshed = await auth.post<TokenBody>('/auth/token/refresh', {
      refresh_token: tokens.refresh_token,
    });
    expectStatus(refreshed, 200);
    const accessToken = refreshed.json?.access_token ?? '';

    expect(decodeJwt(accessToken).payload['auth_time']).toBe(
      decodeJwt(tokens.access_token).payload['auth_time'],
    );
    expectStepUpRequired(await auth.get('/auth/sessions', { bearer: accessToken }));
  }, 15_000);
});

describe('turning it off', () => {
  it('refuses without a code and with a wrong one; it stays on', async () => {
    const user = await enrolledUser();
    const tokens = await twoFactorTokens(user, user.recoveryCodes[0]);
    const disable = (json: unknown): Promise<HttpResponse> =>
      auth.request({ method: 'DELETE', path: '/auth/totp', json, bearer: tokens.access_token });

    expectProblem(await disable({}), 400, 'validation_failed');
    expectProblem(await disable({ code: wrongCode(user.secret) }), 400, 'invalid_otp');
    expectProblem(await disable({ code: user.recoveryCodes[0] }), 400, 'invalid_otp');

    const status = await auth.get('/auth/totp', { bearer: tokens.access_token });
    expect(status.json).toMatchObject({ enabled: true });
  });
});

describe("the OpenID Provider's login page", () => {
  it('asks for the code after the password and signs in only with it', async () => {
    const user = await enrolledUser();
    const browser = new ScriptedBrowser([sut.shop, sut.auth, sut.cart]);
    const page = await browser.navigate(`${sut.shop.origin}/api/sso/login`);
    const csrf = loginFormToken(page.response.text);

    const passwordOnly = await browser.postForm(page.url, {
      csrf,
      email: user.email,
      password: user.password,
    });
    expect(passwordOnly.status).toBe(200);
    expect(passwordOnly.headers['location']).toBeUndefined();
    expect(passwordOnly.text).toContain('name="code"');
    const pendingLogin = /name="pendingLogin" value="([^"]*)"/.exec(passwordOnly.text)?.[1] ?? '';
    expect(pendingLogin).not.toBe('');

    const withoutCode = await browser.postForm(page.url, { csrf, pendingLogin });
    expect(withoutCode.status).toBe(401);
    expect(withoutCode.headers['location']).toBeUndefined();
    const wrong = await browser.postForm(page.url, {
      csrf,
      pendingLogin,
      code: wrongCode(user.secret),
    });
    expect(wrong.status).toBe(401);

    const withCode = await browser.postForm(page.url, {
      csrf,
      pendingLogin,
      code: codeOf(user.secret, 1),
    });
    expect(withCode.status).toBe(303);
    const landed = await browser.follow(page.url, withCode);
    expect(new URL(landed.url).origin).toBe(sut.shop.origin);
    // The shop's session remembers how the user authenticated at AUTH.
    const me = await browser.get(`${sut.shop.origin}/api/auth/me`);
    expect(me.json).toMatchObject({ amr: ['pwd', 'otp'], acr: 'aal2' });
  });
});
