import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, logLevels } from '@svt/shared/util-http';
import type { AuthConfig } from './auth.config';
import { AuthModule } from './auth.module';

/**
 * The auth service, ready to listen; main.ts and the tests both use it.
 * X-Forwarded-For names the client only when the gateway (a TRUSTED_PROXIES
 * peer) set it. CORS admits exactly the SHOP origin, without credentials: a
 * page there may use the token flow here directly; cookies go through the
 * gateway, on SHOP's own site.
 */
export async function createAuthApp(config: AuthConfig): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AuthModule.forRoot(config), {
    bodyLimit: config.BODY_LIMIT,
    bodies: 'json',
    logLevels: logLevels(config.NODE_ENV),
    trustedProxies: config.TRUSTED_PROXIES,
  });
  app.enableCors({
    origin: [config.SHOP_ORIGIN],
    credentials: false,
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['Retry-After', 'WWW-Authenticate'],
    maxAge: 600,
  });
  return app;
}
