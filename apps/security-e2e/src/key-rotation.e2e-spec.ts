import { expectStatus, http, loginWithToken, registerUser, startSystem } from '@svt/shared/testing';
import type {
  CommandResult,
  HttpClient,
  RegisteredUser,
  SystemUnderTest,
} from '@svt/shared/testing';
import { kidOf, pollUntil, publishedKids } from './support';

/**
 * OWASP Key Management Cheat Sheet (rotate keys; a rotation must not break
 * what was issued before) with RFC 7517 §5 key sets: the next key is
 * published before it signs, the previous one stays published until its last
 * token expired, and verifiers pick both up from their periodic JWKS refresh.
 * Short settings make the whole life of a key fit in the test: the new key
 * signs 2 s after the rotation, access tokens live 3 s, the gateway and CART
 * refetch AUTH's JWKS every second.
 */

let sut: SystemUnderTest;
let auth: HttpClient;
let shop: HttpClient;
let cart: HttpClient;
let user: RegisteredUser;
let oldKid: string;

beforeAll(async () => {
  sut = await startSystem({
    env: {
      auth: { SIGNING_KEY_ACTIVATION_DELAY: '4', ACCESS_TOKEN_TTL: '3' },
      gateway: { JWKS_REFRESH_INTERVAL: '1' },
      cart: { JWKS_REFRESH_INTERVAL: '1' },
    },
  });
  auth = http(sut.auth);
  shop = http(sut.shop);
  cart = http(sut.cart);
  user = await registerUser(auth);
  const kids = await publishedKids(auth);
  expect(kids).toHaveLength(1);
  oldKid = kids[0];
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

const freshToken = async () => (await loginWithToken(auth, user)).accessToken;

/** The verifiers that learn AUTH's keys from its JWKS, and AUTH itself. */
const verifiers: [string, () => HttpClient, string][] = [
  ['the gateway', () => shop, '/api/me'],
  ['CART', () => cart, '/cart'],
  ['AUTH', () => auth, '/auth/me'],
];

const statusesAtGatewayAndCart = async (token: string): Promise<number[]> => [
  (await shop.get('/api/me', { bearer: token })).status,
  (await cart.get('/cart', { bearer: token })).status,
];

describe('OWASP Key Management Cheat Sheet: rotating the access-token signing key', () => {
  let rotation: CommandResult;
  let beforeRotation: string;
  let justAfter: string;
  let newKid: string;
  let kidsAfterRotation: string[];

  describe('when `auth rotate-signing-key` runs', () => {
    beforeAll(async () => {
      beforeRotation = await freshToken();
      rotation = await sut.command('auth', ['rotate-signing-key']);
      justAfter = await freshToken();
      // AUTH reloads its key set every second.
      kidsAfterRotation = await pollUntil(
        () => publishedKids(auth),
        (kids) => kids.length > 1,
        {
          timeoutMs: 10_000,
        },
      );
      newKid = kidsAfterRotation.find((kid) => kid !== oldKid) ?? '(none)';
    }, 30_000);

    it('exits 0 and prints the new kid', () => {
      expect(rotation.code).toBe(0);
      expect(rotation.stdout).toContain(newKid);
    });

    it('AUTH publishes the old and the new key at once', () => {
      expect(kidsAfterRotation.sort()).toEqual([oldKid, newKid].sort());
    });

    it('new tokens keep the old kid until the activation delay passed', () => {
      expect(kidOf(justAfter)).toBe(oldKid);
    });

    it('tokens signed before the rotation keep working at the gateway and CART', async () => {
      expect(await statusesAtGatewayAndCart(beforeRotation)).toEqual([200, 200]);
      expect(await statusesAtGatewayAndCart(justAfter)).toEqual([200, 200]);
    });
  });

  describe('once the activation delay (SIGNING_KEY_ACTIVATION_DELAY=4) passed', () => {
    let lastOldKidToken: string;
    const oldTokenStatuses: number[][] = [];
    let newKidToken: string;

    beforeAll(async () => {
      lastOldKidToken = justAfter;
      // Until AUTH switches keys, each old-kid token must keep working at both verifiers.
      newKidToken = await pollUntil(
        async () => {
          const token = await freshToken();
          if (kidOf(token) === oldKid) {
            lastOldKidToken = token;
            oldTokenStatuses.push(await statusesAtGatewayAndCart(token));
          }
          return token;
        },
        (token) => kidOf(token) === newKid,
        { timeoutMs: 20_000 },
      );
    }, 30_000);

    it('new tokens carry the new kid', () => {
      expect(kidOf(newKidToken)).toBe(newKid);
    });

    it('the gateway and CART accepted old-kid tokens up to the switch, and still do after it', async () => {
      expect(oldTokenStatuses.flat().every((status) => status === 200)).toBe(true);
      expect(await statusesAtGatewayAndCart(lastOldKidToken)).toEqual([200, 200]);
    });

    it.each(verifiers)(
      '%s accepts new-kid tokens without being restarted',
      async (_n, client, path) => {
        expectStatus(await client().get(path, { bearer: newKidToken }), 200);
      },
    );
  });

  describe('once every token the old key signed has expired (ACCESS_TOKEN_TTL=3)', () => {
    let kids: string[];

    beforeAll(async () => {
      kids = await pollUntil(
        () => publishedKids(auth),
        (list) => !list.includes(oldKid),
        {
          timeoutMs: 40_000,
          intervalMs: 500,
        },
      );
    }, 60_000);

    it('the old key has left the JWKS and the new one stays', () => {
      expect(kids).toEqual([newKid]);
    });

    it.each(verifiers)('%s goes on accepting new tokens', async (_name, client, path) => {
      const token = await freshToken();

      expect(kidOf(token)).toBe(newKid);
      expectStatus(await client().get(path, { bearer: token }), 200);
    });
  });
});
