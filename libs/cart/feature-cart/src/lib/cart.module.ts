import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { CART_REPOSITORY, SqlCartRepository, cartMigrations } from '@svt/cart/data-access';
import type { SqlClient } from '@svt/shared/data-access-sql';
import type { JwtVerification, KeySource } from '@svt/shared/feature-authn';
import {
  AuthnModule,
  BEARER_OR_COOKIE,
  IDENTITY_TOKEN_TYPE,
  IDENTITY_TOKEN_VERIFICATION,
  IdentityTokenAuthenticator,
  provideAccessTokenVerification,
  provideSessionCookieName,
} from '@svt/shared/feature-authn';
import { ServiceCoreModule } from '@svt/shared/feature-service-core';
import type { CartConfig } from './cart.config';
import { CartController, CredentialsEchoController } from './cart.controller';
import { CART_CONFIG } from './cart.tokens';

const CART_SQL = Symbol.for('svt.CartSql');
const GATEWAY_JWKS = Symbol.for('svt.GatewayJwks');

/** Why a browser call to this site arrives without credentials, said where the learner sees it. */
export const CROSS_SITE_DETAIL =
  'No credential was sent. This cart service is on a different site from the shop, so a browser ' +
  'never sends the shop’s session cookie here (cookies stay with the site that set them, and ' +
  'third-party cookies are blocked). Send the access token instead: Authorization: Bearer <access_token>.';

/** The cart service on CART, a site of its own. */
@Module({})
export class CartModule {
  static forRoot(config: CartConfig): DynamicModule {
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
          authenticators: [IdentityTokenAuthenticator, ...BEARER_OR_COOKIE],
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
              }),
            },
            provideAccessTokenVerification(config.AUTH_ORIGIN, config.ACCESS_TOKEN_AUDIENCE),
            provideSessionCookieName(config.SHOP_ORIGIN, config.SESSION_COOKIE_DOMAIN),
          ],
          allowedOrigins: [config.CART_ORIGIN, config.SHOP_ORIGIN],
          unauthenticatedDetail: CROSS_SITE_DETAIL,
        }),
      ],
      controllers: [CartController, CredentialsEchoController],
      providers: [
        {
          provide: CART_REPOSITORY,
          inject: [CART_SQL],
          useFactory: (sql: SqlClient) =>
            new SqlCartRepository(sql, { maxItems: config.CART_MAX_ITEMS }),
        },
      ],
    };
  }
}
