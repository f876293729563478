import type { KeyObject } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { sign } from 'jsonwebtoken';
import type { Denylist } from '@svt/shared/data-access-sessions';
import type { Authenticator } from '../authenticator';
import type { JwtVerification } from '../verification/jwt-verification';
import {
  ACCESS_TOKEN_TYPE,
  CLOCK_TOLERANCE_SECONDS,
  IDENTITY_TOKEN_TYPE,
} from '../verification/jwt-verification';
import type { KeySource } from '../verification/key-source';
import { PassportJwtVerifier } from '../verification/passport-jwt.verifier';
import { BearerAuthenticator } from './bearer.authenticator';
import { IDENTITY_TOKEN_HEADER, IdentityTokenAuthenticator } from './identity-token.authenticator';

const START = 1_800_000_000_000;

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
  readonly build: (verification: JwtVerification, denylist: FakeDenylist) => Authenticator;
  readonly carrying: (token: string) => FastifyRequest;
}

const TOKEN_KINDS: TokenKind[] = [
  {
    name: BearerAuthenticator.name,
    type: ACCESS_TOKEN_TYPE,
    build: (verification, denylist) =>
      new BearerAuthenticator(verification, denylist as unknown as Denylist),
    carrying: (token) => withHeaders({ authorization: `Bearer ${token}` }),
  },
  {
    name: IdentityTokenAuthenticator.name,
    type: IDENTITY_TOKEN_TYPE,
    build: (verification, denylist) =>
      new IdentityTokenAuthenticator(verification, denylist as unknown as Denylist),
    carrying: (token) => withHeaders({ [IDENTITY_TOKEN_HEADER]: token }),
  },
];

describe.each(TOKEN_KINDS)('$name', (kind) => {
  let clock: { at: number };
  let keys: FakeKeys;
  let signingKey: KeyObject;
  let denylist: FakeDenylist;
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
    // jsonwebtoken and the verified-token cache both read Date.now(): one frozen clock.
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
    denylist = new FakeDenylist();
    authenticator = kind.build(verification, denylist);
    verifications = jest.spyOn(PassportJwtVerifier.prototype, 'verify');
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
    expect(verifications).toHaveBeenCalledTimes(2);
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
  const verification: JwtVerification = {
    issuer: ISSUER,
    audience: AUDIENCE,
    type: ACCESS_TOKEN_TYPE,
    algorithm: 'ES256',
    keys: new FakeKeys(),
  };
  const bearer = (): Authenticator =>
    new BearerAuthenticator(verification, new FakeDenylist() as unknown as Denylist);
  const request = (authorization: string): FastifyRequest => withHeaders({ authorization });

  afterEach(() => jest.restoreAllMocks());

  it.each(['Bearer', 'Bearer ', 'Bearer  two-spaces', 'Bearer a b', 'bearer a=b'])(
    'refuses %p as a malformed Authorization header, without verifying',
    async (header) => {
      const verifications = jest.spyOn(PassportJwtVerifier.prototype, 'verify');
      await expect(bearer().authenticate(request(header))).resolves.toEqual({
        kind: 'rejected',
        reason: 'malformed_authorization',
        tokenPresented: true,
      });
      expect(verifications).not.toHaveBeenCalled();
    },
  );

  it.each(['Basic dTpw', 'DPoP eyJ.eyJ.c2ln', 'Bearerish abc'])(
    'leaves %p to the authenticators after it',
    async (header) => {
      await expect(bearer().authenticate(request(header))).resolves.toEqual({ kind: 'not-mine' });
    },
  );
});

describe(IdentityTokenAuthenticator.name, () => {
  it('refuses a repeated header as an invalid token', async () => {
    const authenticator = new IdentityTokenAuthenticator(
      {
        issuer: ISSUER,
        audience: AUDIENCE,
        type: IDENTITY_TOKEN_TYPE,
        algorithm: 'ES256',
        keys: new FakeKeys(),
      },
      new FakeDenylist() as unknown as Denylist,
    );
    await expect(
      authenticator.authenticate(withHeaders({ [IDENTITY_TOKEN_HEADER]: ['a', 'b'] })),
    ).resolves.toEqual({ kind: 'rejected', reason: 'token_invalid', tokenPresented: true });
  });

  it.each([
    [['session'], 'session', false],
    [['session', 'pop'], 'session', true],
    [['bearer'], 'bearer', false],
    [['dpop'], 'dpop', false],
    [undefined, 'bearer', false],
  ])('takes the login method from amr %j as %s (device-bound: %s)', async (amr, method, bound) => {
    const keys = new FakeKeys();
    const key = keys.publish('k1');
    const authenticator = new IdentityTokenAuthenticator(
      { issuer: ISSUER, audience: AUDIENCE, type: IDENTITY_TOKEN_TYPE, algorithm: 'ES256', keys },
      new FakeDenylist() as unknown as Denylist,
    );
    const now = Math.floor(Date.now() / 1000);
    const token = sign(
      { iss: ISSUER, aud: AUDIENCE, sub: 'u1', sid: 's1', jti: 'j1', iat: now, exp: now + 60, amr },
      key,
      { algorithm: 'ES256', keyid: 'k1', header: { alg: 'ES256', typ: IDENTITY_TOKEN_TYPE } },
    );
    const result = await authenticator.authenticate(
      withHeaders({ [IDENTITY_TOKEN_HEADER]: token }),
    );
    expect(result).toMatchObject({ kind: 'authenticated', identity: { method } });
    expect(result.kind === 'authenticated' && result.identity.deviceBound === true).toBe(bound);
  });
});
