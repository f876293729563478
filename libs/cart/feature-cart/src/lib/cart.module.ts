import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { CART_REPOSITORY, SqlCartRepository, cartMigrations } from '@svt/cart/data-access';
import type { CartChangeFeed } from '@svt/shared/data-access-sessions';
import { CART_CHANGE_FEED } from '@svt/shared/data-access-sessions';
import type { SqlClient } from '@svt/shared/data-access-sql';
import type { JwtVerification, KeySource } from '@svt/shared/feature-authn';
import {
  AuthnModule,
  dpopOptions,
  TOKEN_OR_COOKIE,
  IDENTITY_TOKEN_TYPE,
  IDENTITY_TOKEN_VERIFICATION,
  IdentityTokenAuthenticator,
  provideAccessTokenVerification,
  SESSION_COOKIE_NAME,
  SessionCookie,
} from '@svt/shared/feature-authn';
import { ServiceCoreModule } from '@svt/shared/feature-service-core';
import { SsoModule, ssoOptions } from '@svt/shared/feature-sso';
import { RELYING_PARTIES } from '@svt/shared/util-config';
import type { CartConfig } from './cart.config';
import { CartPageController } from './cart-page/cart-page.controller';
import { CartController, CredentialsEchoController } from './cart.controller';
import { CART_CONFIG } from './cart.tokens';
import { PublishingCartRepository } from './publishing-cart.repository';

const CART_SQL = Symbol.for('svt.CartSql');
const GATEWAY_JWKS = Symbol.for('svt.GatewayJwks');

/** Why a browser call to this site arrives without credentials, said where the learner sees it. */
export const CROSS_SITE_DETAIL =
  'No credential was sent. This cart service is on a different site from the shop, so a browser ' +
  'never sends the shop’s session cookie here (cookies stay with the site that set them, and ' +
  'third-party cookies are blocked). Send the access token instead: Authorization: Bearer <access_token>; ' +
  'or sign in on this site’s own page, which starts a session of its own with a cookie of this site.';

/** The cart service on CART, a site of its own. */
@Module({})
export class CartModule {
  static forRoot(config: CartConfig): DynamicModule {
    // CART's own session cookie, on CART's origin: single sign-on sets it,
    // and the session cookie authenticator reads the same name. Lax: the cart
    // page reads it on a top-level navigation from the shop, another site.
    const sessionCookie = new SessionCookie(config.CART_ORIGIN, {
      domain: config.SESSION_COOKIE_DOMAIN,
      sameSite: 'lax',
    });
    return {
      module: CartModule,
      imports: [
        ServiceCoreModule.forRoot({
          config,
          configToken: CART_CONFIG,
          database: { token: CART_SQL, sqliteFile: 'cart.sqlite', migrations: cartMigrations },
          jwks: {
            config,
            authUrl: config.AUTH_URL,
            more: [{ token: GATEWAY_JWKS, url: config.GATEWAY_URL }],
          },
        }),
        AuthnModule.forRoot({
          authenticators: [IdentityTokenAuthenticator, ...TOKEN_OR_COOKIE],
          providers: [
            {
              provide: IDENTITY_TOKEN_VERIFICATION,
              inject: [GATEWAY_JWKS],
              useFactory: (keys: KeySource): JwtVerification => ({
                issuer: config.SHOP_ORIGIN,
                audience: config.CART_ORIGIN,
                type: IDENTITY_TOKEN_TYPE,
                algorithm: 'ES256',
                keys,
                cacheSize: config.TOKEN_CACHE_SIZE,
              }),
            },
            provideAccessTokenVerification(
              config.AUTH_ORIGIN,
              config.ACCESS_TOKEN_AUDIENCE,
              config.TOKEN_CACHE_SIZE,
            ),
            { provide: SESSION_COOKIE_NAME, useValue: sessionCookie.name },
          ],
          allowedOrigins: [config.CART_ORIGIN, config.SHOP_ORIGIN],
          unauthenticatedDetail: CROSS_SITE_DETAIL,
          // A direct call names CART's own URL; through the gateway, CART sees no proof.
          dpop: dpopOptions(config, {
            origin: config.CART_ORIGIN,
            sharedSecret: config.SSO_COOKIE_SECRET,
          }),
        }),
        SsoModule.forRoot(
          ssoOptions(config, {
            party: RELYING_PARTIES.cart,
            origin: config.CART_ORIGIN,
            sessionCookie,
          }),
        ),
      ],
      controllers: [CartController, CredentialsEchoController, CartPageController],
      providers: [
        {
          provide: CART_REPOSITORY,
          inject: [CART_SQL, CART_CHANGE_FEED],
          useFactory: (sql: SqlClient, changes: CartChangeFeed) =>
            new PublishingCartRepository(
              new SqlCartRepository(sql, { maxItems: config.CART_MAX_ITEMS }),
              changes,
            ),
        },
      ],
    };
  }
}
