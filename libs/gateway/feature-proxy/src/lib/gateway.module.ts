import { join } from 'node:path';
import type { DynamicModule, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Module } from '@nestjs/common';
import type { SessionStore } from '@svt/shared/data-access-sessions';
import { SESSION_STORE, provideSessionStore } from '@svt/shared/data-access-sessions';
import {
  ACCESS_TOKEN_TYPE,
  AuthnModule,
  RemoteJwks,
  sessionCookieName,
} from '@svt/shared/feature-authn';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import type { ReadinessCheck } from '@svt/shared/util-http';
import { HealthController, READINESS_CHECKS } from '@svt/shared/util-http';
import type { GatewayConfig } from './gateway.config';
import {
  AuthProxyController,
  CartProxyController,
  GatewayJwksController,
  MeController,
} from './gateway.controllers';
import {
  AUTH_JWKS,
  AUTH_UPSTREAM,
  CART_UPSTREAM,
  GATEWAY_CONFIG,
  IDENTITY_KEY,
  IDENTITY_SIGNER,
} from './gateway.tokens';
import type { IdentityKey } from './identity-key';
import { loadOrCreateIdentityKey } from './identity-key';
import { IdentityTokenSigner } from './identity-token.signer';
import { Upstream } from './upstream';

@Injectable()
class GatewayLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(SESSION_STORE) private readonly sessions: SessionStore,
    @Inject(AUTH_JWKS) private readonly jwks: RemoteJwks,
    @Inject(AUTH_UPSTREAM) private readonly auth: Upstream,
    @Inject(CART_UPSTREAM) private readonly cart: Upstream,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.jwks.stop();
    await Promise.allSettled([this.sessions.close(), this.auth.close(), this.cart.close()]);
  }
}

/** Shared by the authenticator pipeline and the proxy. */
@Module({})
class GatewayCoreModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    const providers = [
      { provide: GATEWAY_CONFIG, useValue: config },
      provideSessionStore({
        redisUrl: config.REDIS_URL,
        redisKeyPrefix: config.REDIS_KEY_PREFIX,
        dataDir: config.DATA_DIR,
      }),
      {
        provide: AUTH_JWKS,
        useFactory: (): RemoteJwks => {
          const jwks = new RemoteJwks(new URL('/.well-known/jwks.json', config.AUTH_URL).href, {
            algorithm: 'ES256',
          });
          jwks.start();
          return jwks;
        },
      },
    ];
    return {
      module: GatewayCoreModule,
      global: true,
      providers,
      exports: providers.map((provider) => provider.provide),
    };
  }
}

/** The gateway for SHOP: authenticates either credential and forwards. */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        GatewayCoreModule.forRoot(config),
        AuthnModule.forRootAsync({
          inject: [SESSION_STORE, AUTH_JWKS],
          useFactory: (sessions: SessionStore, jwks: RemoteJwks) => ({
            pipeline: ['bearer', 'session-cookie'],
            accessToken: {
              issuer: config.AUTH_ORIGIN,
              audience: config.ACCESS_TOKEN_AUDIENCE,
              type: ACCESS_TOKEN_TYPE,
              algorithm: 'ES256',
              keys: jwks,
            },
            sessions,
            sessionCookieName: sessionCookieName(isSecureContextOrigin(config.SHOP_ORIGIN)),
            allowedOrigins: [config.SHOP_ORIGIN, ...config.ALLOWED_ORIGINS],
            unauthenticatedDetail:
              'Log in, then send the session cookie or an Authorization: Bearer access token.',
          }),
        }),
      ],
      controllers: [
        MeController,
        AuthProxyController,
        CartProxyController,
        GatewayJwksController,
        HealthController,
      ],
      providers: [
        { provide: AUTH_UPSTREAM, useFactory: () => new Upstream('auth', config.AUTH_URL) },
        { provide: CART_UPSTREAM, useFactory: () => new Upstream('cart', config.CART_URL) },
        {
          provide: IDENTITY_KEY,
          useFactory: (): Promise<IdentityKey> =>
            loadOrCreateIdentityKey(join(config.DATA_DIR, 'gateway-identity-key.pem')),
        },
        {
          provide: IDENTITY_SIGNER,
          inject: [IDENTITY_KEY],
          useFactory: (key: IdentityKey) =>
            new IdentityTokenSigner(key, config.SHOP_ORIGIN, config.IDENTITY_TOKEN_TTL),
        },
        GatewayLifecycle,
        {
          provide: READINESS_CHECKS,
          inject: [SESSION_STORE, AUTH_JWKS],
          useFactory: (sessions: SessionStore, jwks: RemoteJwks): ReadinessCheck[] => [
            { name: 'sessions', check: async () => (await sessions.ping(), true) },
            { name: 'auth-jwks', check: () => jwks.isReady() },
          ],
        },
      ],
    };
  }
}
