import { join } from 'node:path';
import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import {
  AuthnModule,
  dpopOptions,
  TOKEN_OR_COOKIE,
  DEVICE_BINDING_REQUIRED,
  provideAccessTokenVerification,
  SESSION_COOKIE_NAME,
  SessionCookie,
} from '@svt/shared/feature-authn';
import { ServiceCoreModule } from '@svt/shared/feature-service-core';
import { SsoModule, ssoOptions } from '@svt/shared/feature-sso';
import { RELYING_PARTIES } from '@svt/shared/util-config';
import { closeOnShutdown } from '@svt/shared/util-http';
import type { GatewayConfig } from './gateway.config';
import { apiOrigin } from './gateway.config';
import { GatewayJwksController, MeController } from './gateway.controllers';
import { GatewayProxy } from './gateway-proxy';
import { CartEventsRoute } from './cart-events/cart-events.route';
import { LiveCarts } from './cart-events/live-carts';
import {
  AUTH_UPSTREAM,
  CART_UPSTREAM,
  DEMO_PAGE,
  GATEWAY_CONFIG,
  IDENTITY_KEY,
  IDENTITY_SIGNER,
} from './gateway.tokens';
import type { SigningKey } from '@svt/shared/util-security';
import { loadOrCreateSigningKey } from '@svt/shared/util-security';
import { IdentityTokenSigner } from './identity-token.signer';
import { CredentialsEchoController, DemoPageController, loadDemoPage } from './demo-page';
import { Upstream } from './upstream';

/** The gateway for SHOP: authenticates either credential and forwards. */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    // One definition of the shop's session cookie: the authenticator reads
    // the name that single sign-on sets, as AUTH's password login sets it.
    const sessionCookie = new SessionCookie(config.SHOP_ORIGIN, {
      domain: config.SESSION_COOKIE_DOMAIN,
      sameSite: 'strict',
    });
    return {
      module: GatewayModule,
      imports: [
        ServiceCoreModule.forRoot({
          config,
          configToken: GATEWAY_CONFIG,
          jwks: { config, authUrl: config.AUTH_URL },
        }),
        AuthnModule.forRoot({
          authenticators: TOKEN_OR_COOKIE,
          providers: [
            provideAccessTokenVerification(
              config.AUTH_ORIGIN,
              config.ACCESS_TOKEN_AUDIENCE,
              config.TOKEN_CACHE_SIZE,
            ),
            { provide: SESSION_COOKIE_NAME, useValue: sessionCookie.name },
            { provide: DEVICE_BINDING_REQUIRED, useValue: config.DBSC_REQUIRED },
          ],
          allowedOrigins: [config.SHOP_ORIGIN, ...config.ALLOWED_ORIGINS],
          unauthenticatedDetail:
            'Log in, then send the session cookie or an access token (Authorization: Bearer, or DPoP with its proof).',
          dpop: dpopOptions(config, {
            origin: config.SHOP_ORIGIN,
            // The same gateway under its same-site sibling name.
            alsoAt: [apiOrigin(config)],
            sharedSecret: config.SSO_COOKIE_SECRET,
          }),
        }),
        // Served here at /api/sso/*, never forwarded: only /api/auth/* and /api/cart* are.
        SsoModule.forRoot(
          ssoOptions(config, {
            party: RELYING_PARTIES.shop,
            origin: config.SHOP_ORIGIN,
            sessionCookie,
          }),
        ),
      ],
      controllers: [
        MeController,
        GatewayJwksController,
        DemoPageController,
        CredentialsEchoController,
      ],
      providers: [
        GatewayProxy,
        CartEventsRoute,
        LiveCarts,
        // The live cart's handshake tells a cookie from no credential at all.
        { provide: SESSION_COOKIE_NAME, useValue: sessionCookie.name },
        { provide: DEMO_PAGE, useFactory: () => loadDemoPage(config.DEMO_DIR) },
        { provide: AUTH_UPSTREAM, useFactory: () => new Upstream('auth', config.AUTH_URL) },
        { provide: CART_UPSTREAM, useFactory: () => new Upstream('cart', config.CART_URL) },
        {
          provide: IDENTITY_KEY,
          useFactory: (): Promise<SigningKey> =>
            loadOrCreateSigningKey(join(config.DATA_DIR, 'gateway-identity-key.pem')),
        },
        {
          provide: IDENTITY_SIGNER,
          inject: [IDENTITY_KEY],
          useFactory: (key: SigningKey) =>
            new IdentityTokenSigner(key, config.SHOP_ORIGIN, config.IDENTITY_TOKEN_TTL),
        },
        closeOnShutdown(AUTH_UPSTREAM, CART_UPSTREAM),
      ],
    };
  }
}
