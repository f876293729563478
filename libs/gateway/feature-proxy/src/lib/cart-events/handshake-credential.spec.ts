import type { FastifyRequest } from 'fastify';
import { AppError } from '@svt/shared/util-errors';
import {
  asBearerRequest,
  assertCookieOrigin,
  assertWellFormedHandshake,
  handshakeCredential,
  offeredProtocols,
} from './handshake-credential';

const SHOP = 'http://shop.localhost:8080';

function handshake({
  url = '/api/cart/events',
  headers = {},
  cookies = {},
}: {
  url?: string;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
}): FastifyRequest {
  return { url, headers, cookies, id: 'req-1', method: 'GET' } as unknown as FastifyRequest;
}

function codeOf(act: () => void): string | undefined {
  try {
    act();
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
  return undefined;
}

describe(offeredProtocols.name, () => {
  it('splits the comma-separated offer and trims each protocol', () => {
    const request = handshake({ headers: { 'sec-websocket-protocol': 'cart.v1,  bearer.a.b.c' } });

    expect(offeredProtocols(request)).toEqual(['cart.v1', 'bearer.a.b.c']);
  });

  it('answers no protocols when none is offered', () => {
    expect(offeredProtocols(handshake({}))).toEqual([]);
  });
});

describe(assertWellFormedHandshake.name, () => {
  it('accepts cart.v1 with at most one token', () => {
    expect(codeOf(() => assertWellFormedHandshake(handshake({}), ['cart.v1', 'bearer.t']))).toBe(
      undefined,
    );
  });

  it.each([
    ['a token in the query', '/api/cart/events?access_token=t', ['cart.v1'], {}],
    ['any query string at all', '/api/cart/events?x=1', ['cart.v1'], {}],
    ['no cart.v1 offered', '/api/cart/events', ['bearer.t'], {}],
    ['two tokens offered', '/api/cart/events', ['cart.v1', 'bearer.a', 'bearer.b'], {}],
    [
      'a token offered beside Authorization',
      '/api/cart/events',
      ['cart.v1', 'bearer.a'],
      { authorization: 'Bearer b' },
    ],
  ])('refuses %s with bad_request', (_case, url, protocols, headers) => {
    const request = handshake({ url, headers });

    expect(codeOf(() => assertWellFormedHandshake(request, protocols))).toBe('bad_request');
  });
});

describe(handshakeCredential.name, () => {
  it('takes the token offered as bearer.<token>, whatever else the request carries', () => {
    const request = handshake({ cookies: { sid: 'secret' } });

    expect(handshakeCredential(request, ['cart.v1', 'bearer.a.b.c'], 'sid')).toEqual({
      kind: 'protocol-token',
      token: 'a.b.c',
    });
  });

  it('leaves a session cookie alone to the pipeline, as the only credential', () => {
    const request = handshake({ cookies: { sid: 'secret' } });

    expect(handshakeCredential(request, ['cart.v1'], 'sid')).toEqual({
      kind: 'request',
      cookieOnly: true,
    });
  });

  it('leaves Authorization to the pipeline, which puts it before the cookie', () => {
    const request = handshake({ headers: { authorization: 'Bearer t' }, cookies: { sid: 's' } });

    expect(handshakeCredential(request, ['cart.v1'], 'sid')).toEqual({
      kind: 'request',
      cookieOnly: false,
    });
  });

  it('answers none without a token, Authorization or session cookie (other cookies do not count)', () => {
    const request = handshake({ cookies: { theme: 'dark', sid: '' } });

    expect(handshakeCredential(request, ['cart.v1'], 'sid')).toEqual({ kind: 'none' });
  });
});

describe(assertCookieOrigin.name, () => {
  const allowed = new Set([SHOP]);

  it('accepts the shop’s own Origin', () => {
    expect(
      codeOf(() => assertCookieOrigin(handshake({ headers: { origin: SHOP } }), allowed)),
    ).toBe(undefined);
  });

  it.each([
    ['another Origin', { origin: 'http://evil.localhost' }],
    ['no Origin', {}],
    ['the literal null Origin of a sandboxed frame', { origin: 'null' }],
    [
      'an allowed Origin that Fetch Metadata calls cross-site',
      { origin: SHOP, 'sec-fetch-site': 'cross-site' },
    ],
  ])('refuses %s with forbidden_origin', (_case, headers) => {
    expect(codeOf(() => assertCookieOrigin(handshake({ headers }), allowed))).toBe(
      'forbidden_origin',
    );
  });
});

describe(asBearerRequest.name, () => {
  it('shows the pipeline the token as Authorization: Bearer, and no cookie or DPoP header to fall back on', () => {
    const original = handshake({
      headers: { cookie: 'sid=secret', dpop: 'proof', origin: SHOP },
      cookies: { sid: 'secret' },
    });

    const seen = asBearerRequest(original, 'a.b.c');

    expect(seen.headers).toEqual({ authorization: 'Bearer a.b.c', origin: SHOP });
    expect(seen.cookies).toEqual({});
    expect(seen.id).toBe('req-1');
  });

  it('leaves the handshake request itself untouched', () => {
    const original = handshake({ headers: { cookie: 'sid=secret' }, cookies: { sid: 'secret' } });

    asBearerRequest(original, 'a.b.c');

    expect(original.headers).toEqual({ cookie: 'sid=secret' });
    expect(original.cookies).toEqual({ sid: 'secret' });
  });
});
