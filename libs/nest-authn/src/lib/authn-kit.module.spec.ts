import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpAdapterHost } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Authenticator } from '@svt/shared/feature-authn';
import { AuthnKitModule } from './authn-kit.module';
import type { AuthnKitOptions } from './authn-kit.options';
import { AUTHENTICATORS_BY_NAME } from './authn-kit.tokens';
import type { CredentialStores } from './credential-stores';
import type { KeptJwks } from './kept-jwks';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nest-authn-spec-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function options(more: Partial<AuthnKitOptions> = {}): AuthnKitOptions {
  return {
    // Nothing listens there: the keys are never needed by these specs.
    jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json',
    issuer: 'https://auth.example',
    audience: 'api',
    sessionStoreUrl: join(dir, 'sessions.sqlite'),
    sessionCookieName: '__Host-Http-sid',
    allowedOrigins: ['https://shop.example'],
    ...more,
  };
}

describe(AuthnKitModule.name, () => {
  describe('forRoot', () => {
    it.each<[string, Partial<AuthnKitOptions>, string[]]>([
      ['by default', {}, ['session', 'bearer']],
      ['with dpop', { dpop: { origin: 'https://app.example' } }, ['session', 'bearer', 'dpop']],
    ])('offers %s the authenticators %j, on the SQLite store', async (_label, more, names) => {
      const moduleRef = await Test.createTestingModule({
        imports: [AuthnKitModule.forRoot(options(more))],
      }).compile();

      const byName = moduleRef.get<ReadonlyMap<string, Authenticator>>(AUTHENTICATORS_BY_NAME);
      await moduleRef.close();

      expect([...byName.keys()]).toEqual(names);
    });

    it('refuses options with a problem before opening anything', () => {
      expect(() => AuthnKitModule.forRoot(options({ audience: '' }))).toThrow(TypeError);
    });
  });

  describe('at bootstrap', () => {
    function moduleOn(fastify: { hasRequestDecorator(name: string): boolean }): AuthnKitModule {
      const host = { httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost;
      return new AuthnKitModule(options(), {} as CredentialStores, {} as KeptJwks, host);
    }

    it('refuses to start without @fastify/cookie, which the session authenticator needs', () => {
      expect(() => moduleOn({ hasRequestDecorator: () => false }).onApplicationBootstrap()).toThrow(
        /register @fastify\/cookie/,
      );
    });

    it('starts with it', () => {
      expect(() =>
        moduleOn({ hasRequestDecorator: (name) => name === 'cookies' }).onApplicationBootstrap(),
      ).not.toThrow();
    });
  });

  describe('at shutdown', () => {
    it('stops refreshing the keys and closes the stores', async () => {
      const stores = { close: jest.fn(async () => undefined) };
      const jwks = { close: jest.fn() };
      const kit = new AuthnKitModule(
        options(),
        stores as unknown as CredentialStores,
        jwks as unknown as KeptJwks,
        {} as HttpAdapterHost,
      );

      await kit.onApplicationShutdown();

      expect(jwks.close).toHaveBeenCalledTimes(1);
      expect(stores.close).toHaveBeenCalledTimes(1);
    });
  });
});
