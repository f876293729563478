import type { SignedUpUser, SystemUnderTest, TokenBody } from '@svt/shared/testing';
import {
  decodeJwt,
  expectStatus,
  http,
  pollUntil,
  signUp,
  startSystem,
  startTraffic,
} from '@svt/shared/testing';

/**
 * A signing-key rotation while requests run. The next key is published at
 * once and signs only SIGNING_KEY_ACTIVATION_DELAY later; the gateway and
 * CART refetch AUTH's JWKS every second here, so they hold the key before
 * the first token it signs reaches them, and keep the old one for the tokens
 * it signed. Nothing may fail at any point.
 */
describe('key rotation under traffic', () => {
  let system: SystemUnderTest;
  let user: SignedUpUser;

  beforeAll(async () => {
    system = await startSystem({
      env: {
        auth: { SIGNING_KEY_ACTIVATION_DELAY: '3' },
        gateway: { JWKS_REFRESH_INTERVAL: '1' },
        cart: { JWKS_REFRESH_INTERVAL: '1' },
      },
    });
    user = await signUp(http(system.auth));
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('fails no request while the next key is published, takes over signing, and the old one keeps verifying', async () => {
    const auth = http(system.auth);
    const shop = http(system.shop);
    const cart = http(system.cart);
    const issuedBefore = user.tokens.accessToken;
    const oldKid = String(decodeJwt(issuedBefore).header['kid']);
    let refreshToken = user.tokens.refreshToken;
    // Fresh tokens that both the gateway and CART accepted, by the kid that signed them.
    const acceptedByKid = new Map<string, number>();

    const traffic = startTraffic(
      {
        'older Bearer at the gateway': () => shop.get('/api/me', { bearer: issuedBefore }),
        'older Bearer at the cart': () => cart.get('/cart', { bearer: issuedBefore }),
        'session cookie at the gateway': () =>
          shop.get('/api/me', { headers: { cookie: user.session.jar.header() } }),
        // One loop only: each refresh spends the token the previous one returned.
        'fresh Bearer from a refresh, at the gateway and the cart': async () => {
          const refreshed = await auth.post<TokenBody>('/auth/token/refresh', {
            refresh_token: refreshToken,
          });
          if (refreshed.status !== 200 || refreshed.json === undefined) return refreshed;
          refreshToken = refreshed.json.refresh_token;
          const fresh = refreshed.json.access_token;
          const atGateway = await shop.get('/api/me', { bearer: fresh });
          if (atGateway.status !== 200) return atGateway;
          const atCart = await cart.get('/cart', { bearer: fresh });
          if (atCart.status === 200) {
            const kid = String(decodeJwt(fresh).header['kid']);
            acceptedByKid.set(kid, (acceptedByKid.get(kid) ?? 0) + 1);
          }
          return atCart;
        },
      },
      { loops: 1 },
    );

    let newKid: string | undefined;
    try {
      const rotation = await system.command('auth', ['rotate-signing-key']);
      expect(rotation.code).toBe(0);
      // The new key has signed, and its tokens were accepted, many times over.
      const newKidAccepted = (): number =>
        [...acceptedByKid].find(([kid]) => kid !== oldKid)?.[1] ?? 0;
      await pollUntil(
        async () => newKidAccepted(),
        (count) => count >= 20,
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      newKid = [...acceptedByKid.keys()].find((kid) => kid !== oldKid);
    } finally {
      const report = await traffic.stop();
      const total = Object.values(report.succeeded).reduce((sum, count) => sum + count, 0);
      process.stderr.write(
        `[drill] key rotation: ${total} requests succeeded, ${report.failures.length} failed\n`,
      );
      expect(report.failures).toEqual([]);
      for (const [name, count] of Object.entries(report.succeeded)) {
        expect({ name, ran: count > 10 }).toEqual({ name, ran: true });
      }
    }
    expect(newKid).toBeDefined();
    expect(acceptedByKid.get(oldKid) ?? 0).toBeGreaterThan(0);
    expect(acceptedByKid.get(newKid ?? '')).toBeGreaterThanOrEqual(20);
    // The older token, signed by the previous key, still verifies after the switch.
    expectStatus(await shop.get('/api/me', { bearer: issuedBefore }), 200);
  });
});
