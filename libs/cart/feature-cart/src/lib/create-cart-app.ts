import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { acceptFormsOn, ssoFormPaths } from '@svt/shared/feature-sso';
import { RELYING_PARTIES } from '@svt/shared/util-config';
import { createHttpApp, pageCors, setupOpenApi } from '@svt/shared/util-http';
import type { CartConfig } from './cart.config';
import { CartModule } from './cart.module';

/**
 * The cart service, ready to listen. CORS admits exactly the SHOP origin, with
 * credentials, for the Authorization and Content-Type headers, and lets the
 * page read why a call failed (`WWW-Authenticate`) and when to retry.
 */
export async function createCartApp(
  config: CartConfig,
  logger: Logger,
): Promise<NestFastifyApplication> {
  const app = await createHttpApp(CartModule.forRoot(config), {
    bodyLimit: config.BODY_LIMIT,
    bodies: 'json',
    logger,

    tokenScheme: config.DPOP_REQUIRED ? 'DPoP' : 'Bearer',
  });
  // JSON only, but for AUTH's logout tokens and the sign-out form.
  acceptFormsOn(app, ssoFormPaths(RELYING_PARTIES.cart));
  app.enableCors(
    pageCors(config.SHOP_ORIGIN, { credentials: true, methods: ['GET', 'PUT', 'DELETE'] }),
  );
  setupOpenApi(app, {
    title: 'cart',
    description:
      'The cart service (CART), on a site of its own. It accepts a Bearer access token, the identity the gateway forwards, and a session cookie if one ever arrives (a browser does not send the SHOP cookie here). Through the gateway it answers at SHOP `/api/cart*`.',
    tags: [
      { name: 'cart', description: "The signed-in user's cart." },
      { name: 'lab', description: 'What the lab uses to show which credentials arrive.' },
      { name: 'page', description: "The cart page at CART's own origin." },
      { name: 'sso', description: 'Single sign-on with AUTH: CART as a relying party.' },
    ],
  });
  return app;
}
