import type { KeyObject } from 'node:crypto';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { generateKeyPair, generateProof } from 'dpop';
import type { FastifyRequest } from 'fastify';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { sign } from 'jsonwebtoken';
import type { Denylist } from '@svt/shared/data-access-sessions';
import { MemoryReplayCache } from '@svt/shared/data-access-sessions';
import { AppError } from '@svt/shared/util-errors';
import type { AuthnResult } from '../authenticator';
import { DpopProofChecker } from '../dpop/dpop-proof-checker';
import type { DpopOptions } from '../dpop/dpop.options';
import type { JwtVerification } from '../verification/jwt-verification';
import { ACCESS_TOKEN_TYPE } from '../verification/jwt-verification';
import type { KeySource } from '../verification/key-source';
import { BearerAuthenticator } from './bearer.authenticator';
import { DpopAuthenticator } from './dpop.authenticator';

const ISSUER = 'http://auth.test';
const AUDIENCE = 'svt-api';
const ORIGIN = 'http://shop.test';

/** One published signing key, as AUTH's JWKS would hold it. */
function keySource(): { keys: KeySource; privateKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    keys: {
      find: async (kid) => (kid === 'k1' ? publicKey : null),
      has: (kid) => kid === 'k1',
      isReady: () => true,
    },
  };
}

class Denials implements Pick<Denylist, 'isDenied'> {
  readonly denied = new Set<string>();
  async isDenied(sid: string): Promise<boolean> {
    return this.denied.has(sid);
  }
}

function request(
  method: string,
  url: string,
  headers: Record<string, string | string[]>,
): FastifyRequest {
  return { method, url, headers } as unknown as FastifyRequest;
}

const errorOf = (result: AuthnResult): AppError | undefined =>
  result.kind === 'rejected' ? result.error : undefined;

const { keys, privateKey } = keySource();
const verification: JwtVerification = {
  issuer: ISSUER,
  audience: AUDIENCE,
  type: ACCESS_TOKEN_TYPE,
  algorithm: 'ES256',
  keys,
};

/** An access token of AUTH's for family-1, bound by `cnf` when given one. */
const accessToken = (cnf?: Record<string, unknown>): string =>
  sign({ sid: 'family-1', jti: randomUUID(), ...(cnf ? { cnf } : {}) }, privateKey, {
    algorithm: 'ES256',
    keyid: 'k1',
    header: { alg: 'ES256', typ: ACCESS_TOKEN_TYPE },
    issuer: ISSUER,
    audience: AUDIENCE,
    subject: 'user-1',
    expiresIn: 60,
  });

describe('DpopAuthenticator', () => {
  let clientKeys: Awaited<ReturnType<typeof generateKeyPair>>;
  let jkt: string;
  let denials: Denials;

  beforeAll(async () => {
    clientKeys = await generateKeyPair('ES256');
    jkt = await calculateJwkThumbprint(await exportJWK(clientKeys.publicKey), 'sha256');
  });
  beforeEach(() => {
    denials = new Denials();
  });

  const pipeline = (options: Partial<DpopOptions> = {}) => {
    const dpop: DpopOptions = { required: false, origin: ORIGIN, ...options };
    const checker = new DpopProofChecker(dpop, new MemoryReplayCache());
    return {
      dpop: new DpopAuthenticator(verification, denials as unknown as Denylist, checker),
      bearer: new BearerAuthenticator(verification, denials as unknown as Denylist, dpop),
      checker,
    };
  };

  const dpopCall = async (
    token: string,
    options: { url?: string; key?: typeof clientKeys; nonce?: string } = {},
  ) =>
    request('GET', '/api/me?x=1', {
      authorization: `DPoP ${token}`,
      dpop: await generateProof(
        options.key ?? clientKeys,
        options.url ?? `${ORIGIN}/api/me`,
        'GET',
        options.nonce,
        token,
      ),
    });

  it('accepts a bound token with a proof by its key, for this method and URL', async () => {
    const token = accessToken({ jkt });
    const result = await pipeline().dpop.authenticate(await dpopCall(token));
    expect(result).toMatchObject({
      kind: 'authenticated',
      identity: { userId: 'user-1', method: 'dpop', credential: 'dpop', boundKey: jkt },
    });
  });

  it('leaves other schemes to the next authenticator', async () => {
    const result = await pipeline().dpop.authenticate(
      request('GET', '/api/me', { authorization: 'Bearer abc' }),
    );
    expect(result).toEqual({ kind: 'not-mine' });
  });

  it('refuses the same proof twice, a proof by another key, and an unbound token', async () => {
    const { dpop } = pipeline();
    const token = accessToken({ jkt });
    const call = await dpopCall(token);
    expect((await dpop.authenticate(call)).kind).toBe('authenticated');
    expect(errorOf(await dpop.authenticate(call))?.code).toBe('invalid_dpop_proof');

    const thief = await generateKeyPair('ES256');
    expect(errorOf(await dpop.authenticate(await dpopCall(token, { key: thief })))?.code).toBe(
      'invalid_dpop_proof',
    );
    expect(errorOf(await dpop.authenticate(await dpopCall(accessToken())))?.code).toBe(
      'invalid_token',
    );
  });

  it('refuses a proof for another URL, and a token whose family was revoked', async () => {
    const { dpop } = pipeline();
    const token = accessToken({ jkt });
    const elsewhere = await dpopCall(token, { url: `${ORIGIN}/api/cart` });
    expect(errorOf(await dpop.authenticate(elsewhere))?.code).toBe('invalid_dpop_proof');

    denials.denied.add('family-1');
    expect(await dpop.authenticate(await dpopCall(token))).toMatchObject({
      kind: 'rejected',
      reason: 'token_revoked',
    });
  });

  it('asks for its nonce, then accepts a proof that carries it', async () => {
    const { dpop } = pipeline({ nonceSecret: 'a secret the replicas share, long enough' });
    const token = accessToken({ jkt });
    const first = errorOf(await dpop.authenticate(await dpopCall(token)));
    expect(first).toBeInstanceOf(AppError);
    expect(first?.code).toBe('use_dpop_nonce');
    expect(first?.dpopNonce).toEqual(expect.any(String));

    const retried = await dpopCall(token, { nonce: first?.dpopNonce });
    expect((await dpop.authenticate(retried)).kind).toBe('authenticated');
    const wrongNonce = await dpopCall(token, { nonce: 'not-a-nonce-it-issued' });
    expect(errorOf(await dpop.authenticate(wrongNonce))?.code).toBe('use_dpop_nonce');
  });

  it('names the mounting service’s URL for a request a trusted proxy forwarded, and its own otherwise', () => {
    const { checker } = pipeline({
      origin: 'http://auth.test',
      mountedAt: { origin: ORIGIN, prefix: '/api', trustedProxies: ['loopback'] },
    });
    const from = (peer: string, headers: Record<string, string>, url = '/auth/sessions?a=b') =>
      ({ method: 'GET', url, headers, raw: { socket: { remoteAddress: peer } } }) as never;
    expect(checker.targetUri(from('127.0.0.1', {}))).toBe('http://auth.test/auth/sessions');
    expect(checker.targetUri(from('127.0.0.1', { 'x-forwarded-prefix': '/api' }))).toBe(
      `${ORIGIN}/api/auth/sessions`,
    );
    // The same header from a client that is not a trusted proxy changes nothing.
    expect(checker.targetUri(from('203.0.113.9', { 'x-forwarded-prefix': '/api' }))).toBe(
      'http://auth.test/auth/sessions',
    );
  });

  it('names the other public origin of the service that Host names, and only its own', () => {
    const { checker } = pipeline({ alsoAt: ['http://api.shop.test:8443'] });
    const to = (host: string) => request('GET', '/api/me', { host });
    expect(checker.targetUri(to('api.shop.test:8443'))).toBe('http://api.shop.test:8443/api/me');
    expect(checker.targetUri(to('shop.test'))).toBe(`${ORIGIN}/api/me`);
    expect(checker.targetUri(to('evil.test'))).toBe(`${ORIGIN}/api/me`);
  });
});

describe('BearerAuthenticator beside DPoP', () => {
  const bearer = (required: boolean) =>
    new BearerAuthenticator(verification, new Denials() as unknown as Denylist, {
      required,
      origin: ORIGIN,
    });
  const carrying = (value: string) =>
    request('GET', '/api/me', { authorization: `Bearer ${value}` });

  it('refuses a bound token presented as Bearer (no downgrade)', async () => {
    const result = await bearer(false).authenticate(carrying(accessToken({ jkt: 'some-key' })));
    expect(result).toMatchObject({ kind: 'rejected', reason: 'token_bound' });
    expect(errorOf(result)?.code).toBe('invalid_token');
  });

  it('refuses a malformed confirmation rather than treating the token as unbound', async () => {
    const result = await bearer(false).authenticate(carrying(accessToken({ jkt: 42 })));
    expect(result).toMatchObject({ kind: 'rejected', reason: 'token_invalid' });
  });

  it('accepts an unbound token, unless DPoP is required', async () => {
    expect((await bearer(false).authenticate(carrying(accessToken()))).kind).toBe('authenticated');
    expect(await bearer(true).authenticate(carrying(accessToken()))).toMatchObject({
      kind: 'rejected',
      reason: 'bearer_refused',
    });
  });
});
