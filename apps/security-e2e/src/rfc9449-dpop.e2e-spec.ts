import { randomUUID } from 'node:crypto';
import {
  accessTokenHash,
  craftDpopProof,
  decodeJwt,
  dpopHeaders,
  dpopProof,
  epochSeconds,
  expectDpopChallenge,
  expectProblem,
  expectStatus,
  generateDpopKey,
  htuOf,
  http,
  loginWithDpop,
  loginWithToken,
  privateJwk,
  refreshWithDpop,
  registerUser,
  startSystem,
} from '@svt/shared/testing';
import type {
  DpopKey,
  HttpClient,
  HttpResponse,
  RegisteredUser,
  SystemUnderTest,
  TokenBody,
  TokenLogin,
} from '@svt/shared/testing';
import { rawJwt, refresh } from './support';

/**
 * RFC 9449 (DPoP) attacked at every verifier: the gateway (/api/me, /api/cart),
 * CART directly, and AUTH both directly and through the gateway, whose proofs
 * name SHOP's URL (docs/dpop.md has the rules these attack). A proof is
 * refused with 401 `invalid_dpop_proof` and a DPoP challenge at a resource
 * server, with 400 `invalid_dpop_proof` at the token endpoint (RFC 9449 §5,
 * RFC 6749 §5.2); a token presented under the wrong scheme with 401
 * `invalid_token`.
 */

/** RFC 9449 §11.1 allows a window; the contract's is [now - 60 s, now + 5 s]. */
const STALE_SECONDS = 90;
const FUTURE_SECONDS = 60;

let sut: SystemUnderTest;
let auth: HttpClient;
let shop: HttpClient;
let cart: HttpClient;
let alice: RegisteredUser;
/** Alice's key, and her access token bound to it (`cnf.jkt`). */
let aliceKey: DpopKey;
let bound: TokenLogin;
/** An unbound (Bearer) access token of Alice's. */
let unbound: TokenLogin;
/** Keys that are not Alice's. */
let malloryKey: DpopKey;
let ed25519Key: DpopKey;
let rs256Key: DpopKey;

beforeAll(async () => {
  // Replicas start while the system runs, on a machine other suites share.
  sut = await startSystem({ readyTimeoutMs: 120_000 });
  auth = http(sut.auth);
  shop = http(sut.shop);
  cart = http(sut.cart);
  [aliceKey, malloryKey, ed25519Key, rs256Key] = await Promise.all([
    generateDpopKey(),
    generateDpopKey(),
    generateDpopKey('Ed25519'),
    generateDpopKey('RS256'),
  ]);
  alice = await registerUser(auth);
  bound = await loginWithDpop(auth, aliceKey, alice);
  unbound = await loginWithToken(auth, alice);
}, 300_000);

afterAll(async () => {
  await sut?.stop();
});

/** What a proof is for: the request's method and URL, and the token it accompanies. */
interface ProofTarget {
  htm: string;
  htu: string;
  accessToken?: string;
}

type ProofAttack = [string, (target: ProofTarget) => Promise<string>];

/** The proofs RFC 9449 §4.3 says to refuse, each otherwise right for its request. */
const proofAttacks: ProofAttack[] = [
  ['a proof for another path (htu)', (t) => dpopProof(aliceKey, { ...t, htu: `${t.htu}-other` })],
  [
    'a proof for the same path at another origin (htu)',
    (t) =>
      dpopProof(aliceKey, {
        ...t,
        htu: t.htu.replace(/^http:\/\/[^/]+/, 'http://evil.localhost:1'),
      }),
  ],
  [
    'a proof for another method (htm)',
    (t) => dpopProof(aliceKey, { ...t, htm: t.htm === 'GET' ? 'DELETE' : 'GET' }),
  ],
  [
    'a proof whose jwk carries the private key (d)',
    async (t) => craftDpopProof(aliceKey, { ...t, header: { jwk: await privateJwk(aliceKey) } }),
  ],
  [
    'an HS256 proof keyed with the public JWK',
    (t) =>
      craftDpopProof(aliceKey, {
        ...t,
        secret: new TextEncoder().encode(JSON.stringify(aliceKey.publicJwk)),
      }),
  ],
  [
    'an unsigned proof (alg none)',
    async (t) =>
      rawJwt(
        { typ: 'dpop+jwt', alg: 'none', jwk: aliceKey.publicJwk },
        {
          jti: randomUUID(),
          htm: t.htm,
          htu: t.htu,
          iat: epochSeconds(),
          ...(t.accessToken ? { ath: accessTokenHash(t.accessToken) } : {}),
        },
      ),
  ],
  ['an Ed25519 proof (not ES256)', (t) => dpopProof(ed25519Key, t)],
  ['an RS256 proof (not ES256)', (t) => dpopProof(rs256Key, t)],
  ['a proof of typ "JWT"', (t) => craftDpopProof(aliceKey, { ...t, header: { typ: 'JWT' } })],
  ['a proof without typ', (t) => craftDpopProof(aliceKey, { ...t, header: { typ: undefined } })],
  ['a proof without jwk', (t) => craftDpopProof(aliceKey, { ...t, header: { jwk: undefined } })],
  [
    `a proof issued ${STALE_SECONDS} s ago (stale iat)`,
    (t) => craftDpopProof(aliceKey, { ...t, payload: { iat: epochSeconds() - STALE_SECONDS } }),
  ],
  [
    `a proof issued ${FUTURE_SECONDS} s from now (future iat)`,
    (t) => craftDpopProof(aliceKey, { ...t, payload: { iat: epochSeconds() + FUTURE_SECONDS } }),
  ],
  ['a proof without jti', (t) => craftDpopProof(aliceKey, { ...t, payload: { jti: undefined } })],
  ['a proof without iat', (t) => craftDpopProof(aliceKey, { ...t, payload: { iat: undefined } })],
  // RFC 9110 §9.1: methods are case-sensitive.
  [
    'a proof whose htm is the method in lower case',
    (t) => dpopProof(aliceKey, { ...t, htm: t.htm.toLowerCase() }),
  ],
  [
    'a proof whose iat is a string',
    (t) => craftDpopProof(aliceKey, { ...t, payload: { iat: String(epochSeconds()) } }),
  ],
  [
    'a proof of 6 kB (a jti of 6000 characters)',
    (t) => craftDpopProof(aliceKey, { ...t, payload: { jti: 'x'.repeat(6000) } }),
  ],
  [
    'two proofs in one DPoP header, comma-separated',
    async (t) => `${await dpopProof(aliceKey, t)}, ${await dpopProof(aliceKey, t)}`,
  ],
  ['a proof that is not a JWT', async () => 'not-a-proof'],
];

/** Refusals that only make sense when a token is presented (RFC 9449 §4.3 check 12, §7.1). */
const tokenProofAttacks: ProofAttack[] = [
  [
    'a proof signed by another key than the one the token is bound to (cnf.jkt)',
    (t) => dpopProof(malloryKey, t),
  ],
  ['a proof without ath', (t) => craftDpopProof(aliceKey, { ...t, payload: { ath: undefined } })],
  [
    'a proof whose ath is the hash of another token',
    (t) => craftDpopProof(aliceKey, { ...t, accessToken: unbound.accessToken }),
  ],
];

/** A refused proof at a resource server (RFC 9449 §7.1). */
function expectProofRefused(response: HttpResponse<unknown>): void {
  expectProblem(response, 401, 'invalid_dpop_proof');
  expectDpopChallenge(response, 'invalid_dpop_proof');
}

/** A token refused for the scheme it came under (RFC 9449 §7.2). */
function expectTokenRefused(response: HttpResponse<unknown>): void {
  expectProblem(response, 401, 'invalid_token');
  expect(response.headers['www-authenticate']).toMatch(/\berror="invalid_token"/);
}

/** A refused proof at the token endpoint (RFC 9449 §5, RFC 6749 §5.2): no token. */
function expectTokenEndpointRefusal(response: HttpResponse<TokenBody>): void {
  expectProblem(response, 400, 'invalid_dpop_proof');
  expect(response.json).not.toHaveProperty('access_token');
  expect(response.json).not.toHaveProperty('refresh_token');
}

type Verifier = [string, () => HttpClient, string];

const resourceServers: Verifier[] = [
  ['the gateway', () => shop, '/api/me'],
  ['the gateway', () => shop, '/api/cart'],
  ['CART directly', () => cart, '/cart'],
  ['AUTH directly', () => auth, '/auth/sessions'],
  ['AUTH through the gateway', () => shop, '/api/auth/sessions'],
];

/** GET `path` at `client` with `Authorization: DPoP <token>` and `proof`. */
function getWithProof(
  client: HttpClient,
  path: string,
  proof: string,
  accessToken = bound.accessToken,
): Promise<HttpResponse> {
  return client.get(path, { headers: dpopHeaders(proof, accessToken) });
}

describe.each(resourceServers)('RFC 9449 §7 at %s (GET %s)', (_name, client, path) => {
  const target = (): ProofTarget => ({
    htm: 'GET',
    htu: htuOf(client(), path),
    accessToken: bound.accessToken,
  });

  it('answers 200 to the bound token with a fresh proof by its key (the control)', async () => {
    expectStatus(await getWithProof(client(), path, await dpopProof(aliceKey, target())), 200);
  });

  it.each([...proofAttacks, ...tokenProofAttacks])(
    'refuses %s with 401 invalid_dpop_proof and a DPoP challenge',
    async (_attack, makeProof) => {
      expectProofRefused(await getWithProof(client(), path, await makeProof(target())));
    },
  );

  it('refuses the bound token without any proof with 401 invalid_dpop_proof', async () => {
    const response = await client().get(path, {
      headers: { authorization: `DPoP ${bound.accessToken}` },
    });

    expectProofRefused(response);
  });

  it('refuses a proof presented a second time (RFC 9449 §11.1: jti is single use)', async () => {
    const proof = await dpopProof(aliceKey, target());
    expectStatus(await getWithProof(client(), path, proof), 200);

    expectProofRefused(await getWithProof(client(), path, proof));
  });

  it('refuses the bound token presented as Bearer (a downgrade) with 401 invalid_token', async () => {
    expectTokenRefused(await client().get(path, { bearer: bound.accessToken }));
  });

  it('refuses the bound token as Bearer even with a valid proof alongside', async () => {
    const proof = await dpopProof(aliceKey, target());

    expectTokenRefused(
      await client().get(path, {
        headers: { authorization: `Bearer ${bound.accessToken}`, dpop: proof },
      }),
    );
  });

  it('refuses an unbound token under the DPoP scheme with 401 invalid_token', async () => {
    const proof = await dpopProof(aliceKey, { ...target(), accessToken: unbound.accessToken });

    expectTokenRefused(await getWithProof(client(), path, proof, unbound.accessToken));
  });
});

describe('RFC 9449 §4.3 the htu of a route AUTH serves both directly and through the gateway', () => {
  it("refuses, through the gateway, a proof for AUTH's own URL of the route", async () => {
    const proof = await dpopProof(aliceKey, {
      htm: 'GET',
      htu: htuOf(auth, '/auth/sessions'),
      accessToken: bound.accessToken,
    });

    expectProofRefused(await getWithProof(shop, '/api/auth/sessions', proof));
  });

  it("refuses, directly at AUTH, a proof for the gateway's URL of the route", async () => {
    const proof = await dpopProof(aliceKey, {
      htm: 'GET',
      htu: htuOf(shop, '/api/auth/sessions'),
      accessToken: bound.accessToken,
    });

    expectProofRefused(await getWithProof(auth, '/auth/sessions', proof));
  });
});

describe('RFC 9449 §4.3 X-Forwarded-Prefix at an AUTH that trusts no proxy (TRUSTED_PROXIES=none)', () => {
  let lonelyAuth: HttpClient;
  const spoofed = { 'x-forwarded-prefix': '/api' };

  beforeAll(async () => {
    lonelyAuth = http(await sut.startReplica('auth', { TRUSTED_PROXIES: 'none' }));
  }, 300_000);

  const getSessions = async (htu: string) => {
    const proof = await dpopProof(aliceKey, { htm: 'GET', htu, accessToken: bound.accessToken });
    return lonelyAuth.get('/auth/sessions', {
      headers: { ...spoofed, ...dpopHeaders(proof, bound.accessToken) },
    });
  };

  // A proof made for the gateway's URL must not be spendable at AUTH's own
  // URL: the prefix counts only when the peer is a trusted proxy.
  it("refuses a proof for the gateway's URL sent directly with a forged X-Forwarded-Prefix", async () => {
    expectProofRefused(await getSessions(htuOf(shop, '/api/auth/sessions')));
  });

  it("answers 200 to a proof for AUTH's own URL, the forged prefix ignored", async () => {
    expectStatus(await getSessions(htuOf(lonelyAuth, '/auth/sessions')), 200);
  });
});

describe('RFC 9449 §11.1 a proof is single use across replicas', () => {
  let replica: HttpClient;

  beforeAll(async () => {
    replica = http(await sut.startReplica('gateway'));
  }, 300_000);

  it('answers 200 at the replica to a fresh proof (the control)', async () => {
    const proof = await dpopProof(aliceKey, {
      htm: 'GET',
      htu: htuOf(shop, '/api/me'),
      accessToken: bound.accessToken,
    });

    expectStatus(await getWithProof(replica, '/api/me', proof), 200);
  });

  it('refuses at a second gateway replica a proof the first one accepted', async () => {
    const proof = await dpopProof(aliceKey, {
      htm: 'GET',
      htu: htuOf(shop, '/api/me'),
      accessToken: bound.accessToken,
    });
    expectStatus(await getWithProof(shop, '/api/me', proof), 200);

    expectProofRefused(await getWithProof(replica, '/api/me', proof));
  });

  it('refuses at the first gateway a proof the replica accepted', async () => {
    const proof = await dpopProof(aliceKey, {
      htm: 'GET',
      htu: htuOf(shop, '/api/cart'),
      accessToken: bound.accessToken,
    });
    expectStatus(await getWithProof(replica, '/api/cart', proof), 200);

    expectProofRefused(await getWithProof(shop, '/api/cart', proof));
  });
});

const tokenEndpoints: [string, () => HttpClient, string][] = [
  ['AUTH directly', () => auth, '/auth'],
  ['the gateway', () => shop, '/api/auth'],
];

describe.each(tokenEndpoints)(
  'RFC 9449 §5 the token endpoint at %s (%s/token)',
  (_name, client, base) => {
    const login = (proof: string) =>
      client().post<TokenBody>(
        `${base}/token`,
        { email: alice.email, password: alice.password },
        { headers: dpopHeaders(proof) },
      );
    const target = (): ProofTarget => ({ htm: 'POST', htu: htuOf(client(), `${base}/token`) });

    it('answers 201 with a DPoP-bound token to a fresh proof (the control)', async () => {
      const response = await login(await dpopProof(aliceKey, target()));

      expectStatus(response, 201);
      expect(response.json?.token_type).toBe('DPoP');
    });

    it.each(proofAttacks)(
      'refuses %s with 400 invalid_dpop_proof and no token',
      async (_attack, makeProof) => {
        expectTokenEndpointRefusal(await login(await makeProof(target())));
      },
    );

    it('refuses a proof presented a second time (jti single use)', async () => {
      const proof = await dpopProof(aliceKey, target());
      expectStatus(await login(proof), 201);

      expectTokenEndpointRefusal(await login(proof));
    });
  },
);

describe.each(tokenEndpoints)(
  'RFC 9449 §5 refresh of a bound family at %s (%s/token/refresh)',
  (_name, client, base) => {
    let family: TokenLogin;

    beforeEach(async () => {
      family = await loginWithDpop(client(), aliceKey, alice, base);
    });

    it('refuses a refresh without a proof with 400 invalid_dpop_proof', async () => {
      expectTokenEndpointRefusal(await refresh(client(), family.refreshToken, base));
    });

    it('refuses a refresh with a proof by another key with 401 invalid_refresh_token, and leaves the token to its holder', async () => {
      const stolen = await refreshWithDpop(client(), malloryKey, family.refreshToken, base);

      expectProblem(stolen, 401, 'invalid_refresh_token');
      expect(stolen.json).not.toHaveProperty('access_token');
      const holder = await refreshWithDpop(client(), aliceKey, family.refreshToken, base);
      expectStatus(holder, 200);
      expect(holder.json?.token_type).toBe('DPoP');
      expect(decodeJwt(holder.json?.access_token ?? '').payload['cnf']).toEqual({
        jkt: aliceKey.thumbprint,
      });
    });

    it('lets the holder refresh after a refresh without a proof was refused', async () => {
      expectTokenEndpointRefusal(await refresh(client(), family.refreshToken, base));

      expectStatus(await refreshWithDpop(client(), aliceKey, family.refreshToken, base), 200);
    });

    it('refuses a refresh with a stale proof by the right key with 400 invalid_dpop_proof', async () => {
      const proof = await craftDpopProof(aliceKey, {
        htm: 'POST',
        htu: htuOf(client(), `${base}/token/refresh`),
        payload: { iat: epochSeconds() - STALE_SECONDS },
      });

      expectTokenEndpointRefusal(
        await client().post<TokenBody>(
          `${base}/token/refresh`,
          { refresh_token: family.refreshToken },
          { headers: dpopHeaders(proof) },
        ),
      );
    });

    it('refuses an unbound family refreshed with a proof with 400 invalid_dpop_proof', async () => {
      const plain = await loginWithToken(client(), alice, base);

      expectTokenEndpointRefusal(
        await refreshWithDpop(client(), aliceKey, plain.refreshToken, base),
      );
    });
  },
);

describe('RFC 9449 §8, §9 nonces (replicas with DPOP_NONCE_REQUIRED=true)', () => {
  const replicas = {} as Record<'gateway' | 'cart' | 'auth', HttpClient>;

  beforeAll(async () => {
    const env = { DPOP_NONCE_REQUIRED: 'true' };
    replicas.auth = http(await sut.startReplica('auth', env));
    const [gateway, cartReplica] = await Promise.all([
      sut.startReplica('gateway', env),
      sut.startReplica('cart', env),
    ]);
    replicas.gateway = http(gateway);
    replicas.cart = http(cartReplica);
  }, 300_000);

  type NonceService = 'gateway' | 'cart' | 'auth';
  const nonceServers: [string, NonceService, string][] = [
    ['the gateway', 'gateway', '/api/me'],
    ['CART', 'cart', '/cart'],
    ['AUTH', 'auth', '/auth/sessions'],
  ];
  const pathAt = Object.fromEntries(nonceServers.map(([, service, path]) => [service, path]));
  /** A service that is not `service`, whose nonces must not work at it. */
  const another: Record<NonceService, NonceService> = {
    gateway: 'cart',
    cart: 'auth',
    auth: 'gateway',
  };

  const getAt = async (service: NonceService, nonce?: string) => {
    const path = pathAt[service];
    const proof = await dpopProof(aliceKey, {
      htm: 'GET',
      htu: htuOf(replicas[service], path),
      accessToken: bound.accessToken,
      nonce,
    });
    return getWithProof(replicas[service], path, proof);
  };

  describe.each(nonceServers)('at %s (GET %s)', (_name, service) => {
    const get = (nonce?: string) => getAt(service, nonce);

    const expectNonceDemanded = (response: HttpResponse<unknown>): string => {
      expectProblem(response, 401, 'use_dpop_nonce');
      expectDpopChallenge(response, 'use_dpop_nonce');
      const nonce = response.headers['dpop-nonce'] ?? '';
      expect(nonce).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/);
      return nonce;
    };

    it('answers a proof without a nonce with 401 use_dpop_nonce and a DPoP-Nonce', async () => {
      expectNonceDemanded(await get());
    });

    it('answers a made-up nonce with 401 use_dpop_nonce and a DPoP-Nonce', async () => {
      expectNonceDemanded(await get(`made-up-${randomUUID()}`));
    });

    it('answers a nonce of its own with its first character changed with 401 use_dpop_nonce', async () => {
      const nonce = expectNonceDemanded(await get());
      const first = nonce.startsWith('A') ? 'B' : 'A';

      expectNonceDemanded(await get(`${first}${nonce.slice(1)}`));
    });

    it('answers a nonce that another service gave with 401 use_dpop_nonce', async () => {
      const foreign = (await getAt(another[service])).headers['dpop-nonce'];
      expect(foreign).toMatch(/^\S+$/);

      expectNonceDemanded(await get(foreign));
    });

    it('answers 200 to the retry with the nonce it gave (the control)', async () => {
      const nonce = expectNonceDemanded(await get());

      expectStatus(await get(nonce), 200);
    });
  });

  describe('at the token endpoint of AUTH', () => {
    const login = async (nonce?: string) => {
      const proof = await dpopProof(aliceKey, {
        htm: 'POST',
        htu: htuOf(replicas.auth, '/auth/token'),
        nonce,
      });
      return replicas.auth.post<TokenBody>(
        '/auth/token',
        { email: alice.email, password: alice.password },
        { headers: dpopHeaders(proof) },
      );
    };

    it('answers a proof without a nonce with 400 use_dpop_nonce, a DPoP-Nonce and no token', async () => {
      const response = await login();

      expectProblem(response, 400, 'use_dpop_nonce');
      expect(response.headers['dpop-nonce']).toMatch(/^\S+$/);
      expect(response.json).not.toHaveProperty('access_token');
    });

    it('answers a made-up nonce with 400 use_dpop_nonce and no token', async () => {
      const response = await login(`made-up-${randomUUID()}`);

      expectProblem(response, 400, 'use_dpop_nonce');
      expect(response.json).not.toHaveProperty('access_token');
    });

    it('answers 201 to the retry with the nonce it gave (the control)', async () => {
      const nonce = (await login()).headers['dpop-nonce'];

      expectStatus(await login(nonce), 201);
    });
  });
});
