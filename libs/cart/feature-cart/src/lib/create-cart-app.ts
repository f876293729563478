import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, logLevels } from '@svt/shared/util-http';
import type { CartConfig } from './cart.config';
import { CartModule } from './cart.module';

/**
 * The cart service, ready to listen. CORS admits exactly the SHOP origin, with
 * credentials, for the Authorization and Content-Type headers, and lets the
 * page read why a call failed (`WWW-Authenticate`) and when to retry.
 */
export async function createCartApp(config: CartConfig): Promise<NestFastifyApplication> {
  const app = await createHttpApp(CartModule.forRoot(config), {
    bodyLimit: config.BODY_LIMIT,
    bodies: 'json',
    logLevels: logLevels(config.NODE_ENV),
  });
  app.enableCors({
    origin: [config.SHOP_ORIGIN],
    credentials: true,
    methods: ['GET', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['Retry-After', 'WWW-Authenticate'],
    maxAge: 600,
  });
  return app;
}
