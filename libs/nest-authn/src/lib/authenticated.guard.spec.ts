import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Authenticator, AuthnResult, Identity } from '@svt/shared/feature-authn';
import { NOT_MINE } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import { Authenticated } from './authenticated.decorator';
import { AuthenticatedGuard } from './authenticated.guard';

const identity = (credential: string): Identity => ({
  userId: `user-of-${credential}`,
  sessionId: 'sid',
  method: 'bearer',
  credential,
  expiresAt: Date.now() + 60_000,
});

const AUTHENTICATED = (credential: string): AuthnResult => ({
  kind: 'authenticated',
  identity: identity(credential),
});
const REJECTED: AuthnResult = { kind: 'rejected', reason: 'token_invalid', tokenPresented: true };

/** An authenticator that always gives `answer`, and records that it was asked. */
function fixed(name: string, answer: AuthnResult, asked: string[]): Authenticator {
  return {
    name,
    authenticate: async () => {
      asked.push(name);
      return answer;
    },
  };
}

class Routes {
  @Authenticated({ accept: ['a', 'b'] })
  aThenB(): void {
    return undefined;
  }

  @Authenticated({ accept: ['b', 'a'] })
  bThenA(): void {
    return undefined;
  }

  @Authenticated({ accept: ['a', 'nowhere'] })
  unknown(): void {
    return undefined;
  }

  undecorated(): void {
    return undefined;
  }
}

function contextFor(route: keyof Routes, request: FastifyRequest): ExecutionContext {
  return {
    getHandler: () => Routes.prototype[route],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

function request(): FastifyRequest {
  return { method: 'GET', url: '/x', id: 'req-1', headers: {} } as unknown as FastifyRequest;
}

function guardWith(a: AuthnResult, b: AuthnResult, asked: string[]): AuthenticatedGuard {
  const byName = new Map([
    ['a', fixed('a', a, asked)],
    ['b', fixed('b', b, asked)],
  ]);
  return new AuthenticatedGuard(new Reflector(), byName, {
    allowedOrigins: [],
    unauthenticatedDetail: 'Log in.',
  });
}

describe(AuthenticatedGuard.name, () => {
  describe('when the first authenticator says "not mine"', () => {
    it('asks the next one and lets the request through with its identity', async () => {
      const asked: string[] = [];
      const req = request();

      await expect(
        guardWith(NOT_MINE, AUTHENTICATED('b'), asked).canActivate(contextFor('aThenB', req)),
      ).resolves.toBe(true);
      expect(asked).toEqual(['a', 'b']);
      expect(req.identity?.userId).toBe('user-of-b');
    });
  });

  describe('when an authenticator rejects', () => {
    it('refuses with invalid_token and asks no later authenticator', async () => {
      const asked: string[] = [];

      await expect(
        guardWith(REJECTED, AUTHENTICATED('b'), asked).canActivate(contextFor('aThenB', request())),
      ).rejects.toMatchObject({ code: 'invalid_token' });
      expect(asked).toEqual(['a']);
    });
  });

  describe("the route's accept list is the order", () => {
    it.each([
      ['aThenB', ['a'], 'user-of-a'],
      ['bThenA', ['b'], 'user-of-b'],
    ] as const)('%s asks %j first and takes its identity', async (route, expected, userId) => {
      const asked: string[] = [];
      const req = request();

      await guardWith(AUTHENTICATED('a'), AUTHENTICATED('b'), asked).canActivate(
        contextFor(route, req),
      );

      expect(asked).toEqual(expected);
      expect(req.identity?.userId).toBe(userId);
    });
  });

  describe('when every authenticator says "not mine"', () => {
    it('refuses with unauthenticated and the configured detail', async () => {
      const failure = guardWith(NOT_MINE, NOT_MINE, []).canActivate(
        contextFor('aThenB', request()),
      );

      await expect(failure).rejects.toBeInstanceOf(AppError);
      await expect(failure).rejects.toMatchObject({ code: 'unauthenticated', detail: 'Log in.' });
    });
  });

  describe('when a route names an authenticator that is not configured', () => {
    it('throws a TypeError naming it', async () => {
      await expect(
        guardWith(NOT_MINE, NOT_MINE, []).canActivate(contextFor('unknown', request())),
      ).rejects.toThrow(
        new TypeError(
          '@Authenticated: no authenticator "nowhere" (configured: a, b; "dpop" needs the dpop option)',
        ),
      );
    });
  });

  describe('when the guard is used without @Authenticated', () => {
    it('throws a TypeError', async () => {
      await expect(
        guardWith(NOT_MINE, NOT_MINE, []).canActivate(contextFor('undecorated', request())),
      ).rejects.toBeInstanceOf(TypeError);
    });
  });
});

describe(Authenticated.name, () => {
  it.each([
    ['an empty accept list', []],
    ['a credential listed twice', ['session', 'bearer', 'session']],
  ])('refuses %s with a TypeError', (_label, accept) => {
    expect(() => Authenticated({ accept })).toThrow(TypeError);
  });
});
