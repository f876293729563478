import type { DynamicModule, FactoryProvider, Provider, Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Authenticator } from './authenticator';
import { BearerAuthenticator } from './authenticators/bearer.authenticator';
import { DeviceBoundSessionAuthenticator } from './authenticators/device-bound-session.authenticator';
import { DpopAuthenticator } from './authenticators/dpop.authenticator';
import { SessionCookieAuthenticator } from './authenticators/session-cookie.authenticator';
import { UnclaimedAuthorizationAuthenticator } from './authenticators/unclaimed-authorization.authenticator';
import type { AuthnOptions } from './authn.options';
import { AUTHN_OPTIONS } from './authn.options';
import { AuthnGuard } from './authn.guard';
import { AuthnPipeline } from './authn-pipeline';
import { DpopProofChecker } from './dpop/dpop-proof-checker';
import type { DpopOptions } from './dpop/dpop.options';
import { DPOP_OPTIONS } from './dpop/dpop.options';
import { ACCESS_TOKEN_VERIFICATION, AUTH_JWKS, AUTHENTICATORS } from './authn.tokens';
import type { JwtVerification } from './verification/jwt-verification';
import { ACCESS_TOKEN_TYPE } from './verification/jwt-verification';
import type { KeySource } from './verification/key-source';

export interface AuthnModuleOptions extends AuthnOptions {
  /**
   * The pipeline: authenticator classes in the order they run. The first
   * whose answer is not "not mine" decides; a rejection stops the pipeline.
   */
  readonly authenticators: readonly Type<Authenticator>[];
  /** What those authenticators inject beyond the shared state: verifications, the cookie name. */
  readonly providers?: readonly Provider[];
  /**
   * How DPoP proofs are checked, for `DpopAuthenticator` and the token
   * endpoints (`DpopProofChecker` is exported); needed with DPoP in the
   * pipeline.
   */
  readonly dpop?: DpopOptions;
}

/**
 * The shop's credentials, in the order every service tries them: an access
 * token bound to a DPoP key, an unbound (Bearer) one, then (any other
 * `Authorization` scheme refused) the session cookie: with its bound cookie
 * when the session is bound to a device (DBSC), else alone. The gateway and
 * AUTH take exactly these; the cart puts the gateway's identity token first.
 */
export const TOKEN_OR_COOKIE = [
  DpopAuthenticator,
  BearerAuthenticator,
  UnclaimedAuthorizationAuthenticator,
  DeviceBoundSessionAuthenticator,
  SessionCookieAuthenticator,
] as const;

/**
 * The authenticator pipeline as a global guard: deny by default, each route
 * open only with `@Public()`. A service lists its authenticators, e.g. the
 * cart `[IdentityTokenAuthenticator, ...TOKEN_OR_COOKIE]`; adding one is a
 * class implementing `Authenticator` and its place in that list.
 */
@Module({})
export class AuthnModule {
  static forRoot({
    authenticators,
    providers = [],
    dpop,
    ...options
  }: AuthnModuleOptions): DynamicModule {
    const dpopProviders = dpop ? [{ provide: DPOP_OPTIONS, useValue: dpop }, DpopProofChecker] : [];
    return {
      module: AuthnModule,
      global: true,
      providers: [
        { provide: AUTHN_OPTIONS, useValue: options },
        ...dpopProviders,
        ...providers,
        ...authenticators,
        {
          provide: AUTHENTICATORS,
          inject: [...authenticators],
          useFactory: (...pipeline: Authenticator[]) => pipeline,
        },
        AuthnPipeline,
        { provide: APP_GUARD, useClass: AuthnGuard },
      ],
      exports: [AUTHN_OPTIONS, AuthnPipeline, ...(dpop ? [DpopProofChecker] : [])],
    };
  }
}

/**
 * The access tokens of the auth service (RFC 9068, ES256), verified with the
 * keys the service provides as `AUTH_JWKS`: the same in every service.
 */
export function provideAccessTokenVerification(
  issuer: string,
  audience: string,
  cacheSize?: number,
): FactoryProvider<JwtVerification> {
  return {
    provide: ACCESS_TOKEN_VERIFICATION,
    inject: [AUTH_JWKS],
    useFactory: (keys: KeySource) => ({
      issuer,
      audience,
      type: ACCESS_TOKEN_TYPE,
      algorithm: 'ES256',
      keys,
      cacheSize,
    }),
  };
}
