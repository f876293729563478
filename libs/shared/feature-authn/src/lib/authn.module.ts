import type { DynamicModule, FactoryProvider, ModuleMetadata } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import type { Authenticator } from './authenticator';
import type { AuthenticatorKind, AuthnOptions } from './authn.options';
import { AUTHN_OPTIONS } from './authn.options';
import { AuthnGuard } from './authn.guard';
import { AUTHENTICATORS } from './authn.tokens';
import {
  BearerAuthenticator,
  IdentityTokenAuthenticator,
  SessionCookieAuthenticator,
} from './authenticators';
import { AccessTokenStrategy, IdentityTokenStrategy } from './jwt.strategies';
import { VerifiedTokenCache } from './verified-token-cache';

export interface AuthnModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  readonly useFactory: (...deps: never[]) => AuthnOptions | Promise<AuthnOptions>;
  readonly inject?: FactoryProvider['inject'];
}

function buildAuthenticators(options: AuthnOptions): Authenticator[] {
  const build = (kind: AuthenticatorKind): Authenticator => {
    switch (kind) {
      case 'bearer':
        if (!options.accessToken || !options.denylist)
          throw new TypeError('the bearer authenticator needs accessToken options and a denylist');
        new AccessTokenStrategy(options.accessToken);
        return new BearerAuthenticator(
          options.denylist,
          new VerifiedTokenCache(options.accessToken, { name: 'bearer' }),
        );
      case 'identity-token':
        if (!options.identityToken || !options.denylist)
          throw new TypeError(
            'the identity-token authenticator needs identityToken options and a denylist',
          );
        new IdentityTokenStrategy(options.identityToken);
        return new IdentityTokenAuthenticator(
          options.denylist,
          new VerifiedTokenCache(options.identityToken, { name: 'identity-token' }),
        );
      case 'session-cookie':
        if (!options.sessions)
          throw new TypeError('the session-cookie authenticator needs a session store');
        return new SessionCookieAuthenticator(options.sessions, options.sessionCookieName);
    }
  };
  return options.pipeline.map(build);
}

/**
 * The authenticator pipeline as a global guard. Each app states its pipeline:
 * the gateway `bearer → session-cookie`, the cart `identity-token → bearer → session-cookie`.
 */
@Module({})
export class AuthnModule {
  static forRootAsync(options: AuthnModuleAsyncOptions): DynamicModule {
    return {
      module: AuthnModule,
      global: true,
      imports: [PassportModule, ...(options.imports ?? [])],
      providers: [
        { provide: AUTHN_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        { provide: AUTHENTICATORS, useFactory: buildAuthenticators, inject: [AUTHN_OPTIONS] },
        { provide: APP_GUARD, useClass: AuthnGuard },
      ],
      exports: [AUTHN_OPTIONS],
    };
  }
}
