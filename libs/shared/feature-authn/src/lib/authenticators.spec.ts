import type { KeyObject } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { sign } from 'jsonwebtoken';
import passport from 'passport';
import { MemorySessionStore } from '@svt/shared/data-access-sessions';
import type { Denylist, SessionRecord, SessionStore } from '@svt/shared/data-access-sessions';
import { sha256Hex } from '@svt/shared/util-security';
import type { Authenticator } from './authenticator';
import {
  BearerAuthenticator,
  IdentityTokenAuthenticator,
  SessionCookieAuthenticator,
  touchIntervalMs,
} from './authenticators';
import type { JwtVerification } from './jwt-verification';
import {
  ACCESS_TOKEN_TYPE,
  CLOCK_TOLERANCE_SECONDS,
  IDENTITY_TOKEN_TYPE,
} from './jwt-verification';
import type { KeySource } from './key-source';
import {
  AccessTokenStrategy,
  IDENTITY_TOKEN_HEADER,
  IdentityTokenStrategy,
} from './jwt.strategies';
import { VerifiedTokenCache } from './verified-token-cache';

const SECRET = 'cookie-secret-value';
const START = 1_800_000_000_000;
const IDLE = 30 * 60_000;

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    idHash: sha256Hex(SECRET),
    handle: 'handle-1',
    userId: 'user-1',
    csrfToken: 'csrf',
    createdAt: START,
    expiresAt: START + 8 * 3600_000,
    lastSeenAt: START,
    idleTimeoutMs: IDLE,
    userAgent: null,
    ip: null,
    credentialVersion: 0,
    ...overrides,
  };
}

function withCookie(value?: string): FastifyRequest {
  return { cookies: value === undefined ? {} : { sid: value } } as unknown as FastifyRequest;
}

async function setUp(): Promise<{
  store: MemorySessionStore;
  authenticator: SessionCookieAuthenticator;
  clock: { at: number };
}> {
  const clock = { at: START };
  const store = new MemorySessionStore({ now: () => clock.at });
  await store.create(record());
  return {
    store,
    authenticator: new SessionCookieAuthenticator(store, 'sid', () => clock.at),
    clock,
  };
}

describe(touchIntervalMs.name, () => {
  it('is a tenth of the idle timeout, at most a minute', () => {
    expect(touchIntervalMs(3_000)).toBe(300);
    expect(touchIntervalMs(IDLE)).toBe(60_000);
  });
});

describe(SessionCookieAuthenticator.name, () => {
  it('is not concerned by a request without the cookie', async () => {
    const { authenticator } = await setUp();
    await expect(authenticator.authenticate(withCookie())).resolves.toEqual({ kind: 'not-mine' });
  });

  it('authenticates a live session, its idle deadline as the expiry', async () => {
    const { authenticator } = await setUp();
    await expect(authenticator.authenticate(withCookie(SECRET))).resolves.toMatchObject({
      kind: 'authenticated',
      identity: { userId: 'user-1', sessionId: 'handle-1', expiresAt: START + IDLE },
    });
  });

  describe('sliding expiry', () => {
    it('writes nothing while the last write is less than the touch interval old', async () => {
      const { store, authenticator, clock } = await setUp();
      clock.at = START + 59_000;
      await authenticator.authenticate(withCookie(SECRET));
      expect((await store.find(sha256Hex(SECRET)))?.lastSeenAt).toBe(START);
    });

    it('moves the idle deadline once the interval has passed', async () => {
      const { store, authenticator, clock } = await setUp();
      clock.at = START + 60_000;
      const result = await authenticator.authenticate(withCookie(SECRET));
      expect((await store.find(sha256Hex(SECRET)))?.lastSeenAt).toBe(START + 60_000);
      expect(result).toMatchObject({ identity: { expiresAt: START + 60_000 + IDLE } });
    });

    it('keeps a session alive past its first idle deadline while it is used', async () => {
      const { authenticator, clock } = await setUp();
      for (let minute = 1; minute <= 40; minute++) {
        clock.at = START + minute * 60_000;
        await authenticator.authenticate(withCookie(SECRET));
      }
      await expect(authenticator.authenticate(withCookie(SECRET))).resolves.toMatchObject({
        kind: 'authenticated',
      });
    });
  });

  it('rejects a session left idle past its timeout', async () => {
    const { authenticator, clock } = await setUp();
    clock.at = START + IDLE;
    await expect(authenticator.authenticate(withCookie(SECRET))).resolves.toMatchObject({
      kind: 'rejected',
      reason: 'session_unknown',
      tokenPresented: false,
    });
  });

  it('fails closed with 503 when the store cannot answer', async () => {
    const broken = {
      find: () => Promise.reject(new Error('ECONNREFUSED')),
    } as unknown as SessionStore;
    const authenticator = new SessionCookieAuthenticator(broken, 'sid');
    await expect(authenticator.authenticate(withCookie(SECRET))).rejects.toMatchObject({
      code: 'store_unavailable',
    });
  });

  it('still authenticates when only the activity write fails', async () => {
    const { store, clock } = await setUp();
    const flaky = Object.assign(Object.create(store) as SessionStore, {
      find: (idHash: string) => store.find(idHash),
      touch: () => Promise.reject(new Error('READONLY')),
    });
    clock.at = START + 120_000;
    const authenticator = new SessionCookieAuthenticator(flaky, 'sid', () => clock.at);
    await expect(authenticator.authenticate(withCookie(SECRET))).resolves.toMatchObject({
      kind: 'authenticated',
      identity: { expiresAt: START + IDLE },
    });
  });
});

/** A JWKS in memory: `publish` adds a key, `withdraw` removes it as an emergency rotation would. */
class FakeKeys implements KeySource {
  private readonly published = new Map<string, KeyObject>();
  stale = false;

  publish(
    kid: string,
    pair: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
    }),
  ): KeyObject {
    this.published.set(kid, pair.publicKey);
    return pair.privateKey;
  }

  withdraw(kid: string): void {
    this.published.delete(kid);
  }

  async find(kid: string): Promise<KeyObject | null> {
    return this.published.get(kid) ?? null;
  }

  has(kid: string): boolean {
    return this.published.has(kid) && !this.stale;
  }

  isReady(): boolean {
    return this.published.size > 0 && !this.stale;
  }

  isStale(): boolean {
    return this.stale;
  }
}

class FakeDenylist implements Pick<Denylist, 'isDenied'> {
  readonly denied = new Set<string>();
  async isDenied(sid: string): Promise<boolean> {
    return this.denied.has(sid);
  }
}

const NOW_SECONDS = START / 1000;
const EXP = NOW_SECONDS + 60;
const ISSUER = 'http://issuer.localhost';
const AUDIENCE = 'http://audience.localhost';

/** P-256 group order: `s` and `n - s` are both valid ECDSA signatures of one message. */
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** The same token with its signature's `s` replaced by `n - s`: another string, as valid. */
function malleated(token: string): string {
  const [header, payload, signature] = token.split('.');
  const raw = Buffer.from(signature ?? '', 'base64url');
  const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
  const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
  return `${header}.${payload}.${Buffer.concat([raw.subarray(0, 32), flipped]).toString('base64url')}`;
}

function withHeaders(headers: Record<string, string | string[]>): FastifyRequest {
  return { headers } as unknown as FastifyRequest;
}

interface TokenKind {
  readonly name: string;
  readonly type: string;
  readonly register: (verification: JwtVerification) => void;
  readonly build: (denylist: FakeDenylist, cache: VerifiedTokenCache) => Authenticator;
  readonly carrying: (token: string) => FastifyRequest;
}

const TOKEN_KINDS: TokenKind[] = [
  {
    name: BearerAuthenticator.name,
    type: ACCESS_TOKEN_TYPE,
    register: (verification) => new AccessTokenStrategy(verification),
    build: (denylist, cache) => new BearerAuthenticator(denylist, cache),
    carrying: (token) => withHeaders({ authorization: `Bearer ${token}` }),
  },
  {
    name: IdentityTokenAuthenticator.name,
    type: IDENTITY_TOKEN_TYPE,
    register: (verification) => new IdentityTokenStrategy(verification),
    build: (denylist, cache) => new IdentityTokenAuthenticator(denylist, cache),
    carrying: (token) => withHeaders({ [IDENTITY_TOKEN_HEADER]: token }),
  },
];

describe.each(TOKEN_KINDS)('$name', (kind) => {
  let clock: { at: number };
  let keys: FakeKeys;
  let signingKey: KeyObject;
  let denylist: FakeDenylist;
  let cache: VerifiedTokenCache;
  let authenticator: Authenticator;
  let verifications: jest.SpyInstance;

  const mint = (claims: Record<string, unknown> = {}, kid = 'k1', key = signingKey): string =>
    sign(
      {
        iss: ISSUER,
        aud: AUDIENCE,
        sub: 'u1',
        sid: 's1',
        jti: 'j1',
        iat: NOW_SECONDS,
        exp: EXP,
        ...claims,
      },
      key,
      { algorithm: 'ES256', keyid: kid, header: { alg: 'ES256', typ: kind.type } },
    );

  beforeEach(() => {
    clock = { at: START };
    // jsonwebtoken reads Date.now(); the cache is given the same frozen clock.
    jest.spyOn(Date, 'now').mockImplementation(() => clock.at);
    keys = new FakeKeys();
    signingKey = keys.publish('k1');
    const verification: JwtVerification = {
      issuer: ISSUER,
      audience: AUDIENCE,
      type: kind.type,
      algorithm: 'ES256',
      keys,
    };
    kind.register(verification);
    denylist = new FakeDenylist();
    cache = new VerifiedTokenCache(verification, { name: 'spec', now: () => clock.at });
    authenticator = kind.build(denylist, cache);
    verifications = jest.spyOn(passport, 'authenticate');
  });

  afterEach(() => jest.restoreAllMocks());

  it('is not concerned by a request without its header', async () => {
    await expect(authenticator.authenticate(withHeaders({}))).resolves.toEqual({
      kind: 'not-mine',
    });
  });

  it('fails closed with store_unavailable, cached or not, while the keys are stale', async () => {
    const cached = mint();
    await authenticator.authenticate(kind.carrying(cached));
    keys.stale = true;

    for (const token of [cached, mint({ jti: 'j2' })]) {
      await expect(authenticator.authenticate(kind.carrying(token))).rejects.toMatchObject({
        code: 'store_unavailable',
      });
    }
  });

  it('verifies a token once, then answers it from the cache', async () => {
    const token = mint();
    const first = await authenticator.authenticate(kind.carrying(token));
    const second = await authenticator.authenticate(kind.carrying(token));
    expect(first).toMatchObject({
      kind: 'authenticated',
      identity: { userId: 'u1', sessionId: 's1' },
    });
    expect(second).toEqual(first);
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('refuses a revoked session even when its token is cached', async () => {
    const token = mint();
    await authenticator.authenticate(kind.carrying(token));
    denylist.denied.add('s1');
    await expect(authenticator.authenticate(kind.carrying(token))).resolves.toEqual({
      kind: 'rejected',
      reason: 'token_revoked',
      tokenPresented: true,
    });
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('fails closed with 503 when the denylist cannot answer, cached or not', async () => {
    const token = mint();
    await authenticator.authenticate(kind.carrying(token));
    jest.spyOn(denylist, 'isDenied').mockRejectedValue(new Error('ECONNREFUSED'));
    await expect(authenticator.authenticate(kind.carrying(token))).rejects.toMatchObject({
      code: 'store_unavailable',
    });
  });

  it('refuses a cached token at the second jsonwebtoken would, clock tolerance included', async () => {
    const token = mint();
    await authenticator.authenticate(kind.carrying(token));
    clock.at = (EXP + CLOCK_TOLERANCE_SECONDS) * 1000 - 1;
    await expect(authenticator.authenticate(kind.carrying(token))).resolves.toMatchObject({
      kind: 'authenticated',
    });
    expect(verifications).toHaveBeenCalledTimes(1);
    clock.at = (EXP + CLOCK_TOLERANCE_SECONDS) * 1000;
    await expect(authenticator.authenticate(kind.carrying(token))).resolves.toMatchObject({
      kind: 'rejected',
      reason: 'token_invalid',
    });
  });

  it('refuses a cached token once its key is withdrawn from the JWKS', async () => {
    const token = mint();
    await authenticator.authenticate(kind.carrying(token));
    keys.withdraw('k1');
    await expect(authenticator.authenticate(kind.carrying(token))).resolves.toMatchObject({
      kind: 'rejected',
      reason: 'token_invalid',
    });
    expect(cache.size).toBe(0);
  });

  describe('when verification fails', () => {
    it('caches nothing and verifies the token again each time', async () => {
      const forged = mint({}, 'k1', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(authenticator.authenticate(kind.carrying(forged))).resolves.toMatchObject({
          kind: 'rejected',
          reason: 'token_invalid',
        });
      }
      expect(verifications).toHaveBeenCalledTimes(2);
      expect(cache.size).toBe(0);
    });

    it('accepts the same token once its key is published', async () => {
      const early = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const token = mint({}, 'k2', early.privateKey);
      await expect(authenticator.authenticate(kind.carrying(token))).resolves.toMatchObject({
        kind: 'rejected',
        reason: 'token_invalid',
      });
      keys.publish('k2', early);
      await expect(authenticator.authenticate(kind.carrying(token))).resolves.toMatchObject({
        kind: 'authenticated',
      });
    });
  });

  it('verifies a malleated signature in full: the cache key is the exact token', async () => {
    const token = mint();
    await authenticator.authenticate(kind.carrying(token));
    const twin = malleated(token);
    expect(twin).not.toBe(token);
    await expect(authenticator.authenticate(kind.carrying(twin))).resolves.toMatchObject({
      kind: 'authenticated',
    });
    expect(verifications).toHaveBeenCalledTimes(2);
  });
});

describe(BearerAuthenticator.name, () => {
  const request = (authorization: string): FastifyRequest => withHeaders({ authorization });
  const cache = (): VerifiedTokenCache =>
    new VerifiedTokenCache(
      { type: ACCESS_TOKEN_TYPE, algorithm: 'ES256', keys: new FakeKeys() },
      { name: 'spec' },
    );

  it.each(['Basic dTpw', 'Bearer', 'Bearer  two-spaces', 'Bearer a b'])(
    'refuses %p as a malformed Authorization header, without verifying',
    async (header) => {
      const verifications = jest.spyOn(passport, 'authenticate');
      await expect(
        new BearerAuthenticator(new FakeDenylist(), cache()).authenticate(request(header)),
      ).resolves.toEqual({
        kind: 'rejected',
        reason: 'malformed_authorization',
        tokenPresented: true,
      });
      expect(verifications).not.toHaveBeenCalled();
      verifications.mockRestore();
    },
  );
});

describe(IdentityTokenAuthenticator.name, () => {
  it('refuses a repeated header as an invalid token', async () => {
    const authenticator = new IdentityTokenAuthenticator(
      new FakeDenylist(),
      new VerifiedTokenCache(
        { type: IDENTITY_TOKEN_TYPE, algorithm: 'ES256', keys: new FakeKeys() },
        { name: 'spec' },
      ),
    );
    await expect(
      authenticator.authenticate(withHeaders({ [IDENTITY_TOKEN_HEADER]: ['a', 'b'] })),
    ).resolves.toEqual({ kind: 'rejected', reason: 'token_invalid', tokenPresented: true });
  });
});
