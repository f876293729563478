import {
  decodeJwt,
  expectStatus,
  http,
  loginWithToken,
  registerUser,
  startSystem,
} from '@svt/shared/testing';
import type {
  CommandResult,
  HttpClient,
  RegisteredUser,
  SystemUnderTest,
  TokenLogin,
} from '@svt/shared/testing';
import { expectInvalidToken, kidOf, pollUntil, publishedKids, refresh } from './support';

/**
 * OWASP Key Management Cheat Sheet, "Compromise recovery": a signing key that
 * leaked is withdrawn at once (`revoke-signing-key <kid>`, `npm run
 * keys:revoke`), and the tokens it signed die before their `exp`, unlike a
 * calm rotation that lets them live out. Short reloads make "at once"
 * measurable: auth replicas reload their keys every second
 * (SIGNING_KEY_ACTIVATION_DELAY=4), the gateway and CART refetch AUTH's JWKS
 * every second. Access tokens live the default 10 minutes.
 */

let sut: SystemUnderTest;
let auth: HttpClient;
let shop: HttpClient;
let cart: HttpClient;
let user: RegisteredUser;

/** Auth's reload, then the verifiers' refresh, with room for a loaded machine. */
const WITHDRAWN_WITHIN_MS = 5_000;

beforeAll(async () => {
  sut = await startSystem({
    env: {
      auth: { SIGNING_KEY_ACTIVATION_DELAY: '4' },
      gateway: { JWKS_REFRESH_INTERVAL: '1' },
      cart: { JWKS_REFRESH_INTERVAL: '1' },
    },
  });
  auth = http(sut.auth);
  shop = http(sut.shop);
  cart = http(sut.cart);
  user = await registerUser(auth);
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

const verifiers: [string, () => HttpClient, string][] = [
  ['AUTH', () => auth, '/auth/me'],
  ['the gateway', () => shop, '/api/me'],
  ['CART', () => cart, '/cart'],
];

describe('OWASP Key Management Cheat Sheet: withdrawing a compromised signing key', () => {
  let before: TokenLogin;
  let withdrawn: string;
  let revocation: CommandResult;

  beforeAll(async () => {
    before = await loginWithToken(auth, user);
    withdrawn = kidOf(before.accessToken);
    for (const [, client, path] of verifiers) {
      expectStatus(await client().get(path, { bearer: before.accessToken }), 200);
    }
    revocation = await sut.command('auth', ['revoke-signing-key', withdrawn]);
  }, 30_000);

  it('succeeds and says what it did and how soon it bites', () => {
    expect(revocation.code).toBe(0);
    expect(revocation.stdout).toContain(`Revoked signing key ${withdrawn}`);
    expect(revocation.stdout).toMatch(/It was signing: \S+ signs from now on/);
    expect(revocation.stdout).toMatch(/stop publishing it within 1 s/);
  });

  it('audits signing_key.revoked with the kid and its replacement', () => {
    const event = revocation.stdout
      .split('\n')
      .filter((line) => line.includes('"event":"signing_key.revoked"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)[0];

    expect(event).toEqual(
      expect.objectContaining({ kid: withdrawn, replacement: expect.any(String), level: 'warn' }),
    );
  });

  it('takes the key out of the JWKS', async () => {
    const kids = await pollUntil(
      () => publishedKids(auth),
      (published) => !published.includes(withdrawn),
      {
        timeoutMs: WITHDRAWN_WITHIN_MS,
        intervalMs: 100,
      },
    );

    expect(kids).not.toContain(withdrawn);
    expect(kids).toHaveLength(1);
  });

  it.each(verifiers)(
    '%s refuses a token it signed within seconds, minutes before its exp',
    async (_, client, path) => {
      const answer = await pollUntil(
        () => client().get(path, { bearer: before.accessToken }),
        (response) => response.status !== 200,
        { timeoutMs: WITHDRAWN_WITHIN_MS, intervalMs: 100 },
      );

      expectInvalidToken(answer);
      expect(Number(decodeJwt(before.accessToken).payload['exp']) * 1000).toBeGreaterThan(
        Date.now() + 60_000,
      );
    },
  );

  it('keeps the sessions: a refresh gets a token of the new key, which every verifier accepts', async () => {
    const next = await refresh(auth, before.refreshToken);
    expectStatus(next, 200);
    const token = next.json?.access_token ?? '';

    expect(kidOf(token)).not.toBe(withdrawn);
    for (const [, client, path] of verifiers) {
      const answer = await pollUntil(
        () => client().get(path, { bearer: token }),
        (response) => response.status === 200,
        { timeoutMs: WITHDRAWN_WITHIN_MS, intervalMs: 100 },
      );
      expectStatus(answer, 200);
    }
  });
});

describe('revoke-signing-key refuses what it cannot do', () => {
  it('exits 1 naming a kid that no key has, and changes nothing', async () => {
    const kids = await publishedKids(auth);

    const result = await sut.command('auth', ['revoke-signing-key', 'no-such-kid']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No signing key has the kid "no-such-kid"');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    await expect(publishedKids(auth)).resolves.toEqual(kids);
  });

  it('exits 64 with the usage when the kid is missing', async () => {
    const result = await sut.command('auth', ['revoke-signing-key']);

    expect(result.code).toBe(64);
    expect(result.stderr).toContain(
      'usage: main.js [rotate-signing-key | revoke-signing-key <kid> | send-test-mail <address>]',
    );
  });
});
