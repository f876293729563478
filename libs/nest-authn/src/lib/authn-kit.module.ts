import type {
  DynamicModule,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Provider,
  Type,
} from '@nestjs/common';
import { Inject, Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { Denylist, ReplayCache, SessionStore } from '@svt/shared/data-access-sessions';
import { DENYLIST, REPLAY_CACHE, SESSION_STORE } from '@svt/shared/data-access-sessions';
import type { Authenticator, AuthnOptions, DpopOptions } from '@svt/shared/feature-authn';
import {
  AUTH_JWKS,
  AUTHN_OPTIONS,
  BearerAuthenticator,
  DPOP_OPTIONS,
  DpopAuthenticator,
  DpopProofChecker,
  provideAccessTokenVerification,
  SESSION_COOKIE_NAME,
  SessionCookieAuthenticator,
} from '@svt/shared/feature-authn';
import type { AuthnKitOptions } from './authn-kit.options';
import { checkAuthnKitOptions } from './authn-kit.options';
import { AUTHENTICATORS_BY_NAME, AUTHN_KIT_OPTIONS, CREDENTIAL_STORES } from './authn-kit.tokens';
import { AuthenticatedGuard } from './authenticated.guard';
import type { CredentialStores } from './credential-stores';
import { openCredentialStores } from './credential-stores';
import { KeptJwks } from './kept-jwks';

const DEFAULT_UNAUTHENTICATED_DETAIL =
  'Send the session cookie or an access token (Authorization: Bearer).';

/**
 * The authenticator pipeline for a Nest application on Fastify: opens the
 * session store and the revocation list, keeps the issuer's JWKS, and lets
 * each route say with `@Authenticated({ accept })` which credentials it
 * takes, in which order. Global: import it once, in the root module.
 */
@Module({})
export class AuthnKitModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(AUTHN_KIT_OPTIONS) private readonly options: AuthnKitOptions,
    @Inject(CREDENTIAL_STORES) private readonly stores: CredentialStores,
    @Inject(AUTH_JWKS) private readonly jwks: KeptJwks,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  static forRoot(options: AuthnKitOptions): DynamicModule {
    const checked = checkAuthnKitOptions(options);
    const named = authenticatorClasses(checked);
    const authnOptions: AuthnOptions = {
      allowedOrigins: checked.allowedOrigins,
      unauthenticatedDetail: checked.unauthenticatedDetail ?? DEFAULT_UNAUTHENTICATED_DETAIL,
    };
    const providers: Provider[] = [
      { provide: AUTHN_KIT_OPTIONS, useValue: checked },
      { provide: AUTHN_OPTIONS, useValue: authnOptions },
      {
        provide: CREDENTIAL_STORES,
        useFactory: (): Promise<CredentialStores> =>
          openCredentialStores(checked.sessionStoreUrl, { redisKeyPrefix: checked.redisKeyPrefix }),
      },
      fromStores(SESSION_STORE, (stores): SessionStore => stores.sessions),
      fromStores(DENYLIST, (stores): Denylist => stores.denylist),
      fromStores(REPLAY_CACHE, (stores): ReplayCache => stores.replays),
      { provide: SESSION_COOKIE_NAME, useValue: checked.sessionCookieName },
      {
        provide: AUTH_JWKS,
        useFactory: (): KeptJwks =>
          KeptJwks.keep(checked.jwksUrl, {
            algorithm: 'ES256',
            refreshIntervalMs: checked.jwksRefreshIntervalMs,
          }),
      },
      provideAccessTokenVerification(checked.issuer, checked.audience),
      ...(checked.dpop
        ? [{ provide: DPOP_OPTIONS, useValue: dpopOptions(checked.dpop) }, DpopProofChecker]
        : []),
      ...named.map(([, type]) => type),
      {
        provide: AUTHENTICATORS_BY_NAME,
        inject: named.map(([, type]) => type),
        useFactory: (...instances: Authenticator[]): ReadonlyMap<string, Authenticator> =>
          new Map(named.map(([name], i) => [name, instances[i]])),
      },
      AuthenticatedGuard,
    ];
    return {
      module: AuthnKitModule,
      global: true,
      providers,
      exports: [
        AUTHENTICATORS_BY_NAME,
        AUTHN_OPTIONS,
        AuthenticatedGuard,
        SESSION_STORE,
        DENYLIST,
        AUTH_JWKS,
      ],
    };
  }

  /** A cookie-accepting pipeline reads `request.cookies`: without the plugin every cookie would be "not mine". */
  onApplicationBootstrap(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (
      fastify &&
      typeof fastify.hasRequestDecorator === 'function' &&
      !fastify.hasRequestDecorator('cookies')
    ) {
      throw new TypeError(
        'AuthnKitModule: register @fastify/cookie (await app.register(fastifyCookie)) before app.listen(): the session authenticator reads request.cookies',
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.jwks.close();
    await this.stores.close();
  }
}

/** The authenticators by accept name: the built-in ones, then the application's. */
function authenticatorClasses(options: AuthnKitOptions): [string, Type<Authenticator>][] {
  return [
    ['session', SessionCookieAuthenticator],
    ['bearer', BearerAuthenticator],
    ...(options.dpop ? [['dpop', DpopAuthenticator] as [string, Type<Authenticator>]] : []),
    ...Object.entries(options.authenticators ?? {}),
  ];
}

function fromStores<T>(token: symbol, pick: (stores: CredentialStores) => T): Provider<T> {
  return { provide: token, inject: [CREDENTIAL_STORES], useFactory: pick };
}

/** Proofs optional (Bearer tokens stay accepted), no nonce: RFC 9449 at its plainest. */
function dpopOptions(dpop: NonNullable<AuthnKitOptions['dpop']>): DpopOptions {
  return {
    required: false,
    origin: dpop.origin,
    ...(dpop.alsoAt ? { alsoAt: dpop.alsoAt } : {}),
  };
}
