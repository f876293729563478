import { join } from 'node:path';
import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { CART_REPOSITORY, SqlCartRepository, cartMigrations } from '@svt/cart/data-access';
import type { SqlClient } from '@svt/shared/data-access-sql';
import { openSqlClient } from '@svt/shared/data-access-sql';
import type { SharedState } from '@svt/shared/data-access-sessions';
import { SHARED_STATE, provideSharedState } from '@svt/shared/data-access-sessions';
import type { JwtVerification, KeySource } from '@svt/shared/feature-authn';
import {
  AUTH_JWKS,
  AuthnModule,
  BearerAuthenticator,
  IDENTITY_TOKEN_TYPE,
  IDENTITY_TOKEN_VERIFICATION,
  IdentityTokenAuthenticator,
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
import { CLOCK, systemClock } from '@svt/shared/util-security';
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

@Module({})
class CartCoreModule {
  static forRoot(config: CartConfig): DynamicModule {
    const jwksOptions = {
      algorithm: 'ES256',
      refreshIntervalMs: config.JWKS_REFRESH_INTERVAL * 1000,
      maxStaleMs: config.JWKS_MAX_STALENESS * 1000,
    } as const;
    const providers = [
      {
        provide: CART_SQL,
        useFactory: (): Promise<SqlClient> =>
          openSqlClient({
            databaseUrl: config.DATABASE_URL,
            sqliteFile: join(config.DATA_DIR, 'cart.sqlite'),
            migrations: cartMigrations,
          }),
      },
      ...provideSharedState({
        redisUrl: config.REDIS_URL,
        redisCluster: config.REDIS_CLUSTER,
        redisCommandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
        redisKeyPrefix: config.REDIS_KEY_PREFIX,
        dataDir: config.DATA_DIR,
      }),
      {
        provide: AUTH_JWKS,
        useFactory: () => RemoteJwks.start(config.AUTH_URL, jwksOptions),
      },
      {
        provide: GATEWAY_JWKS,
        useFactory: () => RemoteJwks.start(config.GATEWAY_URL, jwksOptions),
      },
    ];
    return {
      module: CartCoreModule,
      global: true,
      providers: [...providers, closeOnShutdown(CART_SQL, SHARED_STATE, AUTH_JWKS, GATEWAY_JWKS)],
      exports: providers.map((provider) => provider.provide),
    };
  }
}

/** The cart service on CART, a site of its own. */
@Module({})
export class CartModule {
  static forRoot(config: CartConfig): DynamicModule {
    return {
      module: CartModule,
      imports: [
        HealthChecksModule,
        CartCoreModule.forRoot(config),
        AuthnModule.forRoot({
          authenticators: [
            IdentityTokenAuthenticator,
            BearerAuthenticator,
            UnclaimedAuthorizationAuthenticator,
            SessionCookieAuthenticator,
          ],
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
            {
              provide: SESSION_COOKIE_NAME,
              useValue: sessionCookieName(
                isSecureContextOrigin(config.SHOP_ORIGIN),
                config.SESSION_COOKIE_DOMAIN,
              ),
            },
          ],
          allowedOrigins: [config.CART_ORIGIN, config.SHOP_ORIGIN],
          unauthenticatedDetail: CROSS_SITE_DETAIL,
        }),
      ],
      controllers: [CartController, CredentialsEchoController, HealthController],
      providers: [
        { provide: CLOCK, useValue: systemClock },
        { provide: CART_CONFIG, useValue: config },
        {
          provide: CART_REPOSITORY,
          inject: [CART_SQL],
          useFactory: (sql: SqlClient) =>
            new SqlCartRepository(sql, { maxItems: config.CART_MAX_ITEMS }),
        },
        {
          provide: READINESS_CHECKS,
          inject: [CART_SQL, SHARED_STATE, AUTH_JWKS],
          useFactory: (
            sql: SqlClient,
            state: SharedState,
            authKeys: RemoteJwks,
          ): ReadinessCheck[] => [
            { name: 'database', check: async () => (await sql.ping(), true) },
            { name: 'sessions', check: async () => (await state.ping(), true) },
            { name: 'auth-jwks', check: () => authKeys.isReady() },
          ],
        },
      ],
    };
  }
}
