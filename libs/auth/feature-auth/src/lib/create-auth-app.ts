import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { createHttpApp, pageCors, setupOpenApi } from '@svt/shared/util-http';
import type { AuthConfig } from './auth.config';
import { AuthModule } from './auth.module';
import { mountOpenIdProvider } from './oidc/mount-openid-provider';
import { OIDC_API_PATHS, OIDC_TAG } from './oidc/oidc-api-docs';

/**
 * The auth service, ready to listen; main.ts and the tests both use it.
 * X-Forwarded-For names the client only when the gateway (a TRUSTED_PROXIES
 * peer) set it. CORS admits exactly the SHOP origin, without credentials: a
 * page there may use the token flow here directly; cookies go through the
 * gateway, on SHOP's own site.
 */
export async function createAuthApp(
  config: AuthConfig,
  logger: Logger,
): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AuthModule.forRoot(config, logger), {
    bodyLimit: config.BODY_LIMIT,
    bodies: 'json',
    logger,
    trustedProxies: config.TRUSTED_PROXIES,

    tokenScheme: config.DPOP_REQUIRED ? 'DPoP' : 'Bearer',
  });
  await mountOpenIdProvider(app);
  app.enableCors(
    pageCors(config.SHOP_ORIGIN, { credentials: false, methods: ['GET', 'POST', 'DELETE'] }),
  );
  setupOpenApi(app, {
    title: 'auth',
    description:
      "The auth service (AUTH): registration, cookie sessions, access and refresh tokens, the user's sessions, the public signing keys, and single sign-on as an OpenID Provider. Through the gateway it answers at SHOP `/api/auth/*`; the OpenID Provider answers at AUTH's own origin.",
    tags: [
      { name: 'registration', description: 'Creating an account.' },
      { name: 'session', description: 'Cookie sessions: the server keeps the state.' },
      { name: 'token', description: 'Access and refresh tokens: the client keeps the state.' },
      { name: 'account', description: 'The signed-in user: who, which sessions, password.' },
      { name: 'keys', description: 'Public keys for verifying access tokens.' },
      OIDC_TAG,
    ],
    extraPaths: OIDC_API_PATHS,
  });
  return app;
}
