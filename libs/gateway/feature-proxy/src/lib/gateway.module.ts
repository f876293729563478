import { join } from 'node:path';
import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { SharedState } from '@svt/shared/data-access-sessions';
import { SHARED_STATE, provideSharedState } from '@svt/shared/data-access-sessions';
import {
  AUTH_JWKS,
  AuthnModule,
  BearerAuthenticator,
  provideAccessTokenVerification,
  RemoteJwks,
  SESSION_COOKIE_NAME,
  SessionCookieAuthenticator,
  sessionCookieName,
  UnclaimedAuthorizationAuthenticator,
} from '@svt/shared/feature-authn';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import type { ReadinessCheck } from '@svt/shared/util-http';
import {
  closeOnShutdown,
  HealthChecksModule,
  HealthController,
  READINESS_CHECKS,
} from '@svt/shared/util-http';
import type { GatewayConfig } from './gateway.config';
import {
  AuthProxyController,
  CartProxyController,
  GatewayJwksController,
  MeController,
} from './gateway.controllers';
import {
  AUTH_UPSTREAM,
  CART_UPSTREAM,
  DEMO_PAGE,
  GATEWAY_CONFIG,
  IDENTITY_KEY,
  IDENTITY_SIGNER,
} from './gateway.tokens';
import type { IdentityKey } from './identity-key';
import { loadOrCreateIdentityKey } from './identity-key';
import { IdentityTokenSigner } from './identity-token.signer';
import { CredentialsEchoController, DemoPageController, loadDemoPage } from './demo-page';
import { Upstream } from './upstream';

/** Shared by the authenticator pipeline and the proxy. */
@Module({})
class GatewayCoreModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    const providers = [
      { provide: GATEWAY_CONFIG, useValue: config },
      ...provideSharedState({
        redisUrl: config.REDIS_URL,
        redisCluster: config.REDIS_CLUSTER,
        redisCommandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
        redisKeyPrefix: config.REDIS_KEY_PREFIX,
        dataDir: config.DATA_DIR,
      }),
      {
        provide: AUTH_JWKS,
        useFactory: () =>
          RemoteJwks.start(config.AUTH_URL, {
            algorithm: 'ES256',
            refreshIntervalMs: config.JWKS_REFRESH_INTERVAL * 1000,
            maxStaleMs: config.JWKS_MAX_STALENESS * 1000,
          }),
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
        HealthChecksModule,
        GatewayCoreModule.forRoot(config),
        AuthnModule.forRoot({
          authenticators: [
            BearerAuthenticator,
            UnclaimedAuthorizationAuthenticator,
            SessionCookieAuthenticator,
          ],
          providers: [
            provideAccessTokenVerification(config.AUTH_ORIGIN, config.ACCESS_TOKEN_AUDIENCE),
            {
              provide: SESSION_COOKIE_NAME,
              useValue: sessionCookieName(
                isSecureContextOrigin(config.SHOP_ORIGIN),
                config.SESSION_COOKIE_DOMAIN,
              ),
            },
          ],
          allowedOrigins: [config.SHOP_ORIGIN, ...config.ALLOWED_ORIGINS],
          unauthenticatedDetail:
            'Log in, then send the session cookie or an Authorization: Bearer access token.',
        }),
      ],
      controllers: [
        MeController,
        AuthProxyController,
        CartProxyController,
        GatewayJwksController,
        DemoPageController,
        CredentialsEchoController,
        HealthController,
      ],
      providers: [
        { provide: DEMO_PAGE, useFactory: () => loadDemoPage(config.DEMO_DIR) },
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
        closeOnShutdown(SHARED_STATE, AUTH_JWKS, AUTH_UPSTREAM, CART_UPSTREAM),
        {
          provide: READINESS_CHECKS,
          inject: [SHARED_STATE, AUTH_JWKS],
          useFactory: (state: SharedState, jwks: RemoteJwks): ReadinessCheck[] => [
            { name: 'sessions', check: async () => (await state.ping(), true) },
            { name: 'auth-jwks', check: () => jwks.isReady() },
          ],
        },
      ],
    };
  }
}
