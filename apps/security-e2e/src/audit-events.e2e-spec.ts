import { createHash } from 'node:crypto';
import {
  csrfHeaders,
  DEVICE_COOKIE,
  generateDpopKey,
  loginWithDpop,
  refreshWithDpop,
  expectProblem,
  expectStatus,
  http,
  loginWithSession,
  loginWithToken,
  registerUser,
  SESSION_COOKIE,
  startSystem,
} from '@svt/shared/testing';
import type {
  CommandResult,
  HttpClient,
  JsonObject,
  RegisteredUser,
  Service,
  SessionBody,
  SystemUnderTest,
} from '@svt/shared/testing';
import { auditEntries, pollUntil, refresh, sessionHandle, sidOf } from './support';

/**
 * OWASP Logging Cheat Sheet and ASVS 5.0 §16.2–16.3: each security event is
 * one JSON line with a stable name, and no log line carries a secret. One
 * scripted story in `beforeAll` produces every event, keeping each secret it
 * used; the tests then read what AUTH (and the key-rotation command) printed.
 * Log lines join up across services by a request id that a client may name
 * only through a proxy the gateway trusts.
 */

const EVENTS = [
  'registration.succeeded',
  'email.verification_sent',
  'login.succeeded',
  'login.failed',
  'login.backoff_engaged',
  'rate_limit.exceeded',
  'refresh_token.reused',
  'refresh_token.wrong_key',
  'logout',
  'logout_all',
  'session.revoked',
  'password.changed',
  'password.change_failed',
  'signing_key.rotated',
] as const;

let sut: SystemUnderTest;
let auth: HttpClient;
let alice: RegisteredUser;
let target: RegisteredUser;
let rotation: CommandResult;
/** Every secret the story used, by what it is. */
const secrets: [string, string][] = [];
const ids: Record<string, string> = {};

function keep(label: string, secret: string | undefined): void {
  if (secret) secrets.push([label, secret]);
}

beforeAll(async () => {
  sut = await startSystem({
    env: {
      auth: {
        LOGIN_BACKOFF_AFTER: '2',
        RATE_LIMIT_REGISTER_EMAIL: '1/600',
        REFRESH_TOKEN_REUSE_GRACE: '0',
        // AUTH then adds a signing key on its own every 2 s, each signing 4 s later.
        SIGNING_KEY_ROTATION_INTERVAL: '2',
        SIGNING_KEY_ACTIVATION_DELAY: '4',
      },
    },
  });
  auth = http(sut.auth);

  alice = await registerUser(auth);
  target = await registerUser(auth);
  keep("alice's password", alice.password);
  keep("the target's password", target.password);

  // A second registration of the same email exceeds RATE_LIMIT_REGISTER_EMAIL.
  expectProblem(
    await auth.post('/auth/register', { email: alice.email, password: alice.password }),
    429,
    'rate_limited',
  );

  const session = await loginWithSession(auth, alice);
  keep('a session cookie', session.sessionId);
  keep('a device cookie', session.jar.get(DEVICE_COOKIE));
  keep('a CSRF token', session.csrfToken);
  ids['sessionHandle'] = await sessionHandle(auth, session.jar);

  const tokens = await loginWithToken(auth, alice);
  keep('an access token', tokens.accessToken);
  keep('a refresh token', tokens.refreshToken);
  const next = await refresh(auth, tokens.refreshToken);
  keep('a rotated access token', next.json?.access_token);
  keep('a rotated refresh token', next.json?.refresh_token);
  expectProblem(await refresh(auth, tokens.refreshToken), 401, 'invalid_refresh_token');
  ids['reusedFamily'] = sidOf(tokens.accessToken);

  // A refresh token bound to a DPoP key, presented with a proof by another key.
  const bound = await loginWithDpop(auth, await generateDpopKey(), alice);
  keep('a DPoP-bound access token', bound.accessToken);
  keep('a DPoP-bound refresh token', bound.refreshToken);
  expectProblem(
    await refreshWithDpop(auth, await generateDpopKey(), bound.refreshToken),
    401,
    'invalid_refresh_token',
  );
  ids['boundFamily'] = sidOf(bound.accessToken);

  const revoked = await loginWithToken(auth, alice);
  keep('a revoked refresh token', revoked.refreshToken);
  expectStatus(await auth.post('/auth/token/revoke', { refresh_token: revoked.refreshToken }), 204);

  for (const attempt of ['wrong-password-1', 'wrong-password-2']) {
    const password = `${attempt}-${target.password}`;
    keep('a wrong password', password);
    expectProblem(
      await auth.post('/auth/token', { email: target.email, password }),
      401,
      'invalid_credentials',
    );
  }

  const other = await loginWithSession(auth, alice);
  keep('a second session cookie', other.sessionId);
  ids['revokedHandle'] = await sessionHandle(auth, other.jar);
  expectStatus(
    await auth.delete(`/auth/sessions/${ids['revokedHandle']}`, {
      jar: session.jar,
      headers: csrfHeaders(sut.auth.origin, session.csrfToken),
    }),
    204,
  );

  const wrongCurrent = `not-${alice.password}`;
  keep('a wrong current password', wrongCurrent);
  const newPassword = `new-${alice.password}`;
  keep('the new password', newPassword);
  const headers = csrfHeaders(sut.auth.origin, session.csrfToken);
  expectProblem(
    await auth.post(
      '/auth/password',
      { currentPassword: wrongCurrent, newPassword },
      { jar: session.jar, headers },
    ),
    403,
    'wrong_password',
  );
  const changed = await auth.post<SessionBody>(
    '/auth/password',
    { currentPassword: alice.password, newPassword },
    { jar: session.jar, headers },
  );
  expectStatus(changed, 200);
  keep('the session cookie after the password change', session.jar.get(SESSION_COOKIE));
  keep('the CSRF token after the password change', changed.json?.csrfToken);
  ids['afterChangeHandle'] = await sessionHandle(auth, session.jar);

  expectStatus(
    await auth.delete('/auth/session', {
      jar: session.jar,
      headers: csrfHeaders(sut.auth.origin, changed.json?.csrfToken ?? ''),
    }),
    204,
  );

  const last = await loginWithToken(auth, { email: alice.email, password: newPassword });
  keep('the last access token', last.accessToken);
  keep('the last refresh token', last.refreshToken);
  expectStatus(await auth.post('/auth/logout-all', undefined, { bearer: last.accessToken }), 204);

  rotation = await sut.command('auth', ['rotate-signing-key']);

  // AUTH's stdout reaches the test through a pipe: wait until the last events arrived.
  await pollUntil(
    async () => sut.auth.output(),
    (output) =>
      output.includes('"event":"logout_all"') && output.includes('"event":"signing_key.rotated"'),
    { timeoutMs: 20_000, intervalMs: 100 },
  );
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

const allEntries = () => [...auditEntries(sut.auth.output()), ...auditEntries(rotation.stdout)];
const entriesOf = (event: string) => allEntries().filter((entry) => entry['event'] === event);

describe('OWASP Logging Cheat Sheet: one JSON line per security event', () => {
  it('prints every audit line as a whole JSON object with time, level, logger and event', () => {
    const lines = sut.auth
      .output()
      .split('\n')
      .filter((line) => line.includes('"logger":"audit"'));

    expect(lines.length).toBeGreaterThanOrEqual(EVENTS.length);
    for (const line of lines) {
      expect(line.startsWith('{') && line.endsWith('}')).toBe(true);
      const entry = JSON.parse(line) as JsonObject;
      expect(entry).toMatchObject({
        time: expect.any(String),
        level: expect.any(String),
        logger: 'audit',
        event: expect.any(String),
      });
      expect(Number.isNaN(Date.parse(String(entry['time'])))).toBe(false);
      expect(EVENTS).toContain(entry['event']);
    }
  });

  it.each(EVENTS)('AUTH prints %s', (event) => {
    const printed = auditEntries(sut.auth.output()).filter((entry) => entry['event'] === event);

    expect(printed.length).toBeGreaterThanOrEqual(1);
  });

  it('the rotate-signing-key command prints signing_key.rotated too, with the new kid', () => {
    expect(rotation.code).toBe(0);
    const [entry] = auditEntries(rotation.stdout);

    expect(entry).toMatchObject({ logger: 'audit', event: 'signing_key.rotated' });
    expect(rotation.stdout).toContain(String(entry?.['kid']));
  });
});

describe('ASVS 5.0 §16.2.1 each event says who, what and which session', () => {
  it('login.succeeded names the user and the method, for both login flows', () => {
    const logins = entriesOf('login.succeeded').filter((e) => e['userId'] === alice.id);

    expect(logins.map((entry) => entry['method'])).toEqual(
      expect.arrayContaining(['session', 'bearer']),
    );
  });

  it('registration.succeeded names the new user', () => {
    expect(entriesOf('registration.succeeded').map((e) => e['userId'])).toEqual(
      expect.arrayContaining([alice.id, target.id]),
    );
  });

  it('refresh_token.reused names the user and the revoked family', () => {
    expect(entriesOf('refresh_token.reused')).toEqual([
      expect.objectContaining({ userId: alice.id, sessionId: ids['reusedFamily'] }),
    ]);
  });

  it('refresh_token.wrong_key names the user and the family whose key was missing', () => {
    expect(entriesOf('refresh_token.wrong_key')).toEqual([
      expect.objectContaining({ userId: alice.id, sessionId: ids['boundFamily'] }),
    ]);
    expect(entriesOf('login.succeeded')).toEqual(
      expect.arrayContaining([expect.objectContaining({ userId: alice.id, method: 'dpop' })]),
    );
  });

  it('session.revoked names the revoked session by its handle', () => {
    expect(entriesOf('session.revoked')).toEqual([
      expect.objectContaining({ userId: alice.id, sessionId: ids['revokedHandle'] }),
    ]);
  });

  it('logout names the session for a cookie logout and the method for a token revocation', () => {
    expect(entriesOf('logout')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'session', sessionId: ids['afterChangeHandle'] }),
        expect.objectContaining({ method: 'bearer', userId: alice.id }),
      ]),
    );
  });

  it('password.change_failed and password.changed name the user', () => {
    expect(entriesOf('password.change_failed')).toEqual([
      expect.objectContaining({ userId: alice.id }),
    ]);
    expect(entriesOf('password.changed')).toEqual([expect.objectContaining({ userId: alice.id })]);
  });

  it('rate_limit.exceeded names the limit, and login.backoff_engaged follows the failures', () => {
    expect(entriesOf('rate_limit.exceeded')).toEqual([
      expect.objectContaining({ action: 'register-email' }),
    ]);
    expect(entriesOf('login.failed')).toHaveLength(2);
    expect(entriesOf('login.backoff_engaged')).toHaveLength(1);
  });

  it('names the account of failed logins by a keyed pseudonym, the same each time, never a plain hash of its email', () => {
    const accounts = [...entriesOf('login.failed'), ...entriesOf('login.backoff_engaged')].map(
      (entry) => entry['account'],
    );
    const plainHash = createHash('sha256').update(target.email).digest('hex');

    expect(accounts).toHaveLength(3);
    expect(new Set(accounts).size).toBe(1);
    expect(accounts[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(plainHash.startsWith(String(accounts[0]))).toBe(false);
  });
});

describe('OWASP Logging Cheat Sheet: never log secrets (ASVS 5.0 §16.2.5)', () => {
  it('prints no password, access or refresh token, session cookie value or CSRF token anywhere', () => {
    const output = `${sut.auth.output()}\n${rotation.stdout}\n${rotation.stderr}`;

    const leaked = secrets.filter(([, secret]) => output.includes(secret)).map(([label]) => label);

    expect(secrets.length).toBeGreaterThanOrEqual(15);
    expect(leaked).toEqual([]);
  });

  it('prints no email in the clear, not even of failed logins', () => {
    const output = sut.auth.output().toLowerCase();

    for (const email of [alice.email, target.email]) {
      expect(output).not.toContain(email.toLowerCase());
    }
  });
});

describe('OWASP Logging Cheat Sheet: a client cannot choose the id its request is logged under', () => {
  /** The id the gateway logged a request under, which it also answers with. */
  async function loggedUnder(gateway: Service, requestId: string): Promise<string | undefined> {
    const response = await http(gateway).get('/.well-known/jwks.json', {
      headers: { 'x-request-id': requestId },
    });
    expectStatus(response, 200);
    return response.headers['x-request-id'];
  }

  it('the gateway trusting no proxy (the default) makes its own id', async () => {
    const id = await loggedUnder(sut.shop, 'abc');

    expect(id).not.toBe('abc');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a gateway trusting other proxies (TRUSTED_PROXIES=203.0.113.0/24) makes its own id for a request from 127.0.0.1', async () => {
    const gateway = await sut.startReplica('gateway', { TRUSTED_PROXIES: '203.0.113.0/24' });

    const id = await loggedUnder(gateway, 'abc');

    expect(id).not.toBe('abc');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a gateway trusting loopback (TRUSTED_PROXIES=loopback) keeps the id a proxy there sent', async () => {
    const gateway = await sut.startReplica('gateway', { TRUSTED_PROXIES: 'loopback' });

    expect(await loggedUnder(gateway, 'abc')).toBe('abc');
  });
});
