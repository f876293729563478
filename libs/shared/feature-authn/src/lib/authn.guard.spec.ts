import type { ExecutionContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppError } from '@svt/shared/util-errors';
import { problemHeaders } from '@svt/shared/util-http';
import type { AuthnResult, Authenticator } from './authenticator';
import { NOT_MINE } from './authenticator';
import { AuthnGuard } from './authn.guard';
import { AuthnPipeline } from './authn-pipeline';
import { assertSameSiteRequest } from './csrf';
import type { AuthnOptions } from './authn.options';
import type { Identity } from './identity';

const SHOP = 'http://shop.localhost:8080';

const cookieIdentity: Identity = {
  userId: 'u-cookie',
  sessionId: 's1',
  method: 'session',
  credential: 'session-cookie',
  expiresAt: 0,
  csrfToken: 'csrf-secret',
};
const bearerIdentity: Identity = {
  ...cookieIdentity,
  userId: 'u-bearer',
  method: 'bearer',
  credential: 'bearer',
  csrfToken: undefined,
};

function fixed(name: string, result: AuthnResult): Authenticator & { calls: number } {
  return {
    name,
    calls: 0,
    async authenticate() {
      this.calls += 1;
      return result;
    },
  };
}

function context(fields: Partial<FastifyRequest>): {
  context: ExecutionContext;
  request: Partial<FastifyRequest>;
} {
  const request: Partial<FastifyRequest> = { url: '/', ...fields };
  const ctx = {
    getHandler: () =>
      function handler() {
        return undefined;
      },
    getClass: () => class Controller {},
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { context: ctx, request };
}

const options: AuthnOptions = {
  allowedOrigins: [SHOP],
  unauthenticatedDetail: 'explained',
};

function guard(...authenticators: Authenticator[]): AuthnGuard {
  return new AuthnGuard(new Reflector(), new AuthnPipeline(authenticators, options));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'allowed';
}

describe(AuthnGuard.name, () => {
  describe('when no authenticator finds a credential', () => {
    it('answers 401 unauthenticated with the app’s explanation', async () => {
      const { context: ctx } = context({ method: 'GET', headers: {} });
      await expect(guard(fixed('a', NOT_MINE)).canActivate(ctx)).rejects.toMatchObject({
        code: 'unauthenticated',
        detail: 'explained',
      });
    });
  });

  describe('when the first credential is rejected', () => {
    it('stops with invalid_token and never asks the next authenticator (no fall-back)', async () => {
      const bearer = fixed('bearer', {
        kind: 'rejected',
        reason: 'token_invalid',
        tokenPresented: true,
      });
      const cookie = fixed('cookie', { kind: 'authenticated', identity: cookieIdentity });
      const { context: ctx } = context({ method: 'GET', headers: {} });
      expect(await codeOf(guard(bearer, cookie).canActivate(ctx))).toBe('invalid_token');
      expect(cookie.calls).toBe(0);
    });

    it('sets WWW-Authenticate with error="invalid_token" (RFC 6750 §3)', async () => {
      const bearer = fixed('bearer', {
        kind: 'rejected',
        reason: 'token_invalid',
        tokenPresented: true,
      });
      const { context: ctx } = context({ method: 'GET', headers: {} });
      const rejection: unknown = await guard(bearer)
        .canActivate(ctx)
        .catch((error: unknown) => error);
      if (!(rejection instanceof AppError)) throw rejection;
      expect(problemHeaders(rejection)['www-authenticate']).toBe(
        'Bearer realm="svt", error="invalid_token"',
      );
    });

    it('logs the reason, the path (never the query string: it may carry secrets) and the request id', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        const bearer = fixed('bearer', {
          kind: 'rejected',
          reason: 'token_invalid',
          tokenPresented: true,
        });
        const { context: ctx } = context({
          id: 'req-7',
          method: 'GET',
          url: '/cart/items/tea?access_token=secret-value&x=1',
          headers: {},
        });
        await codeOf(guard(bearer).canActivate(ctx));
        expect(warn.mock.calls).toEqual([
          [{ msg: 'denied: bearer/token_invalid GET /cart/items/tea', req: { id: 'req-7' } }],
        ]);
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('when an authenticator after a "not mine" succeeds', () => {
    it('puts its identity on the request', async () => {
      const { context: ctx, request } = context({ method: 'GET', headers: {} });
      await guard(
        fixed('a', NOT_MINE),
        fixed('b', { kind: 'authenticated', identity: bearerIdentity }),
      ).canActivate(ctx);
      expect(request.identity).toBe(bearerIdentity);
    });
  });

  describe('cookie-authenticated unsafe requests', () => {
    const cookie = (): Authenticator =>
      fixed('cookie', { kind: 'authenticated', identity: cookieIdentity });

    it.each([
      ['GET without Origin or token', 'GET', {}, 'allowed'],
      ['POST without Origin', 'POST', { 'x-csrf-token': 'csrf-secret' }, 'forbidden_origin'],
      [
        'POST from a foreign Origin',
        'POST',
        { origin: 'http://evil.localhost', 'x-csrf-token': 'csrf-secret' },
        'forbidden_origin',
      ],
      ['DELETE without the token', 'DELETE', { origin: SHOP }, 'csrf_failed'],
      ['PUT with a wrong token', 'PUT', { origin: SHOP, 'x-csrf-token': 'guess' }, 'csrf_failed'],
      [
        'PUT from SHOP with the token',
        'PUT',
        { origin: SHOP, 'x-csrf-token': 'csrf-secret' },
        'allowed',
      ],
      [
        'PUT that Fetch Metadata says another site made, even with Origin and token',
        'PUT',
        { origin: SHOP, 'x-csrf-token': 'csrf-secret', 'sec-fetch-site': 'cross-site' },
        'forbidden_origin',
      ],
      [
        'PUT from a same-site sibling with the token',
        'PUT',
        { origin: SHOP, 'x-csrf-token': 'csrf-secret', 'sec-fetch-site': 'same-site' },
        'allowed',
      ],
    ])('%s → %s', async (_case, method, headers, expected) => {
      const { context: ctx } = context({ method, headers });
      expect(await codeOf(guard(cookie()).canActivate(ctx))).toBe(expected);
    });

    it('lets a cross-site GET through: reading is not what CSRF abuses', async () => {
      const { context: ctx } = context({
        method: 'GET',
        headers: { 'sec-fetch-site': 'cross-site' },
      });
      expect(await codeOf(guard(cookie()).canActivate(ctx))).toBe('allowed');
    });

    it('asks nothing of a Bearer request (a header is never sent by a cross-site form)', async () => {
      const { context: ctx } = context({ method: 'DELETE', headers: {} });
      const bearer = fixed('bearer', { kind: 'authenticated', identity: bearerIdentity });
      expect(await codeOf(guard(bearer).canActivate(ctx))).toBe('allowed');
    });
  });
});

describe(assertSameSiteRequest.name, () => {
  const allowed = new Set([SHOP]);
  const check = (headers: Record<string, string>): string => {
    try {
      assertSameSiteRequest({ headers } as unknown as FastifyRequest, allowed);
      return 'allowed';
    } catch (error) {
      if (error instanceof AppError) return error.code;
      throw error;
    }
  };

  it.each([
    ['a client that is not a browser (no Origin, no Fetch Metadata)', {}, 'allowed'],
    ['a page on SHOP', { origin: SHOP, 'sec-fetch-site': 'same-origin' }, 'allowed'],
    [
      'an allow-listed page on another site',
      { origin: SHOP, 'sec-fetch-site': 'cross-site' },
      'allowed',
    ],
    ['a page on another site', { origin: 'http://evil.localhost' }, 'forbidden_origin'],
    ['an opaque origin (sandboxed frame)', { origin: 'null' }, 'forbidden_origin'],
    [
      'a cross-site request that hides its Origin',
      { 'sec-fetch-site': 'cross-site' },
      'forbidden_origin',
    ],
  ])('%s → %s', (_case, headers, expected) => {
    expect(check(headers)).toBe(expected);
  });
});
