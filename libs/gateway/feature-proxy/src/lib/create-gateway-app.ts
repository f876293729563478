import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, logLevels } from '@svt/shared/util-http';
import type { GatewayConfig } from './gateway.config';
import { apiOrigin } from './gateway.config';
import { GatewayModule } from './gateway.module';

/**
 * The gateway, ready to listen. Bodies stay raw bytes: the upstreams parse
 * them. The gateway is the edge: it takes X-Forwarded-For only from
 * TRUSTED_PROXIES (a load balancer in front), and passes the client address on.
 */
export async function createGatewayApp(config: GatewayConfig): Promise<NestFastifyApplication> {
  const app = await createHttpApp(GatewayModule.forRoot(config), {
    bodyLimit: config.BODY_LIMIT,
    bodies: 'raw',
    logLevels: logLevels(config.NODE_ENV),
    trustedProxies: config.TRUSTED_PROXIES,
  });
  // SHOP's own pages are same-origin and need no CORS. Under its same-site
  // sibling name (API_ORIGIN) the gateway is another origin: there, and only
  // there, pages from SHOP may call it, cookies included.
  const siblingHost = new URL(apiOrigin(config)).host;
  app.enableCors({
    delegator: (request, callback) =>
      callback(
        null,
        request.headers.host === siblingHost
          ? {
              origin: [config.SHOP_ORIGIN],
              credentials: true,
              methods: ['GET', 'POST', 'PUT', 'DELETE'],
              allowedHeaders: ['Authorization', 'Content-Type', 'X-CSRF-Token'],
              exposedHeaders: ['Retry-After', 'WWW-Authenticate'],
              maxAge: 600,
            }
          : { origin: false },
      ),
  });
  return app;
}
