import { Secret, TOTP } from 'otpauth';
import {
  decodeJwt,
  expectProblem,
  expectStatus,
  http,
  loginWithToken,
  registerUser,
  startSystem,
} from '@svt/shared/testing';
import type {
  HttpClient,
  JsonObject,
  RegisteredUser,
  SystemUnderTest,
  TokenBody,
} from '@svt/shared/testing';

const STEP_UP_MAX_AGE = 600;

let sut: SystemUnderTest;
let auth: HttpClient;
let user: RegisteredUser;
/** A token from before the second factor was on: a password-only login. */
let passwordOnlyToken: string;
let secret: string;
let recoveryCodes: string[];

/** The code of the authenticator for the time step `steps` away from now. */
const codeFor = (steps = 0): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + steps * 30_000 });

beforeAll(async () => {
  sut = await startSystem({ env: { auth: { STEP_UP_MAX_AGE: String(STEP_UP_MAX_AGE) } } });
  auth = http(sut.auth);
  user = await registerUser(auth);
  passwordOnlyToken = (await loginWithToken(auth, user)).accessToken;
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

describe('TOTP second factor, from enrolment to turning it off', () => {
  it('reports it off before any enrolment', async () => {
    const response = await auth.get('/auth/totp', { bearer: passwordOnlyToken });

    expectStatus(response, 200);
    expect(response.json).toEqual({ enabled: false, pending: false, recoveryCodesLeft: 0 });
  });

  it('enrols: a base32 secret, its otpauth URI and an SVG QR code', async () => {
    const response = await auth.post<JsonObject>('/auth/totp', undefined, {
      bearer: passwordOnlyToken,
    });

    expectStatus(response, 201);
    secret = String(response.json?.['secret']);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(String(response.json?.['otpauthUri'])).toMatch(/^otpauth:\/\/totp\//);
    expect(String(response.json?.['otpauthUri'])).toContain(`secret=${secret}`);
    expect(String(response.json?.['qrCode'])).toMatch(/^data:image\/svg\+xml;base64,/);
    const status = await auth.get('/auth/totp', { bearer: passwordOnlyToken });
    expect(status.json).toEqual({ enabled: false, pending: true, recoveryCodesLeft: 0 });
  });

  it('refuses a wrong first code with 400 invalid_otp', async () => {
    const wrong = codeFor(0) === '000000' ? '111111' : '000000';
    const response = await auth.post(
      '/auth/totp/confirm',
      { code: wrong },
      {
        bearer: passwordOnlyToken,
      },
    );

    expectProblem(response, 400, 'invalid_otp');
  });

  it('turns on with the current code and answers ten recovery codes once', async () => {
    const response = await auth.post<{ recoveryCodes: string[] }>(
      '/auth/totp/confirm',
      { code: codeFor(0) },
      { bearer: passwordOnlyToken },
    );

    expectStatus(response, 200);
    recoveryCodes = response.json?.recoveryCodes ?? [];
    expect(recoveryCodes).toHaveLength(10);
    const status = await auth.get('/auth/totp', { bearer: passwordOnlyToken });
    expect(status.json).toEqual({ enabled: true, pending: false, recoveryCodesLeft: 10 });
  });

  it('refuses a second enrolment with 409 totp_already_enabled', async () => {
    const response = await auth.post('/auth/totp', undefined, { bearer: passwordOnlyToken });

    expectProblem(response, 409, 'totp_already_enabled');
  });

  describe('a session login', () => {
    it('answers 401 second_factor_required with a pending login, and no cookie', async () => {
      const response = await auth.post<JsonObject>('/auth/session', {
        email: user.email,
        password: user.password,
      });

      expectProblem(response, 401, 'second_factor_required');
      const problem = response.json ?? {};
      expect(problem['pendingLogin']).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(new Date(String(problem['expiresAt'])).getTime()).toBeGreaterThan(Date.now());
      expect(problem['factors']).toEqual(['totp', 'recovery_code']);
      expect(response.setCookie.filter((line) => line.includes('sid='))).toEqual([]);
    });

    it('finishes with the next code: a session whose amr has otp', async () => {
      const first = await auth.post<JsonObject>('/auth/session', {
        email: user.email,
        password: user.password,
      });
      const pendingLogin = String(first.json?.['pendingLogin']);

      const response = await auth.post<JsonObject>('/auth/session/second-factor', {
        pendingLogin,
        code: codeFor(1),
      });

      expectStatus(response, 201);
      expect(response.json).toMatchObject({ user: { id: user.id } });
      expect(response.setCookie.some((line) => line.includes('sid='))).toBe(true);
      const again = await auth.post('/auth/session/second-factor', {
        pendingLogin,
        code: codeFor(1),
      });
      expectProblem(again, 401, 'invalid_pending_login');
    });
  });

  describe('a token login', () => {
    let tokens: TokenBody;

    it('answers 401 second_factor_required, then tokens for a recovery code', async () => {
      const first = await auth.post<JsonObject>('/auth/token', {
        email: user.email,
        password: user.password,
      });
      expectProblem(first, 401, 'second_factor_required');
      const problem = first.json ?? {};

      const response = await auth.post<TokenBody>('/auth/token/second-factor', {
        pendingLogin: problem['pendingLogin'],
        code: recoveryCodes[0],
      });

      expectStatus(response, 201);
      tokens = response.json as TokenBody;
    });

    it('carries amr ["pwd","otp"], acr aal2 and the auth_time of the second step', () => {
      const { payload } = decodeJwt(tokens.access_token);

      expect(payload['amr']).toEqual(['pwd', 'otp']);
      expect(payload['acr']).toBe('aal2');
      expect(Math.abs(Number(payload['auth_time']) - Date.now() / 1000)).toBeLessThan(30);
    });

    it('keeps auth_time and amr through a refresh', async () => {
      const before = decodeJwt(tokens.access_token).payload;
      const response = await auth.post<TokenBody>('/auth/token/refresh', {
        refresh_token: tokens.refresh_token,
      });

      expectStatus(response, 200);
      const after = decodeJwt(response.json?.access_token ?? '').payload;
      expect(after['auth_time']).toBe(before['auth_time']);
      expect(after['amr']).toEqual(['pwd', 'otp']);
      tokens = response.json as TokenBody;
    });

    it('shows amr and acr in /auth/me', async () => {
      const response = await auth.get('/auth/me', { bearer: tokens.access_token });

      expect(response.json).toMatchObject({ amr: ['pwd', 'otp'], acr: 'aal2' });
    });

    it('refuses the recovery code a second time', async () => {
      const first = await auth.post<JsonObject>('/auth/token', {
        email: user.email,
        password: user.password,
      });

      const response = await auth.post('/auth/token/second-factor', {
        pendingLogin: first.json?.['pendingLogin'],
        code: recoveryCodes[0],
      });

      expectProblem(response, 400, 'invalid_otp');
    });

    describe('step-up (RFC 9470)', () => {
      it('lets the second-factor login list the sessions, each with its amr', async () => {
        const response = await auth.get<JsonObject[]>('/auth/sessions', {
          bearer: tokens.access_token,
        });

        expectStatus(response, 200);
        const amrs = (response.json ?? []).map((row) => row['amr']);
        expect(amrs).toContainEqual(['pwd', 'otp']);
        expect(amrs).toContainEqual(['pwd']);
      });

      it.each([
        ['GET /auth/sessions', () => auth.get('/auth/sessions', { bearer: passwordOnlyToken })],
        [
          'POST /auth/password',
          () =>
            auth.post(
              '/auth/password',
              { currentPassword: user.password, newPassword: `${user.password}-new` },
              { bearer: passwordOnlyToken },
            ),
        ],
      ])('refuses %s to a password-only login with step_up_required', async (_, call) => {
        const response = await call();

        expectProblem(response, 401, 'step_up_required');
        expect(response.headers['www-authenticate']).toBe(
          `Bearer realm="svt", error="insufficient_user_authentication", error_description="A second factor within ${STEP_UP_MAX_AGE} seconds is required", acr_values="aal2", max_age=${STEP_UP_MAX_AGE}`,
        );
      });
    });

    it('refuses to turn it off without a valid code', async () => {
      const response = await auth.request({
        method: 'DELETE',
        path: '/auth/totp',
        json: {},
        bearer: tokens.access_token,
      });

      expectProblem(response, 400, 'validation_failed');
      const wrong = await auth.request({
        method: 'DELETE',
        path: '/auth/totp',
        json: { code: 'AAAA-AAAA-AAAA-AAAA' },
        bearer: tokens.access_token,
      });
      expectProblem(wrong, 400, 'invalid_otp');
    });

    it('turns it off with a recovery code, ending the other credentials but not the caller', async () => {
      const response = await auth.request({
        method: 'DELETE',
        path: '/auth/totp',
        json: { code: recoveryCodes[1] },
        bearer: tokens.access_token,
      });

      expectStatus(response, 204);
      const status = await auth.get('/auth/totp', { bearer: tokens.access_token });
      expect(status.json).toEqual({ enabled: false, pending: false, recoveryCodesLeft: 0 });
      const older = await auth.get('/auth/me', { bearer: passwordOnlyToken });
      expectProblem(older, 401);
      await loginWithToken(auth, user);
    });
  });
});
