import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { createHttpApp, pageCors, setupOpenApi } from '@svt/shared/util-http';
import type { GatewayConfig } from './gateway.config';
import { apiOrigin, docsPublic } from './gateway.config';
import { GATEWAY_PROXY_PATHS } from './gateway.controllers';
import { GatewayModule } from './gateway.module';
import { corsForHost } from './cors-for-host';
import { GatewayProxy } from './gateway-proxy';
import { CartEventsRoute } from './cart-events/cart-events.route';

/**
 * The gateway, ready to listen. Bodies stay raw bytes: the upstreams parse
 * them. The gateway is the edge: it takes X-Forwarded-For only from
 * TRUSTED_PROXIES (a load balancer in front), and passes the client address on.
 */
export async function createGatewayApp(
  config: GatewayConfig,
  logger: Logger,
): Promise<NestFastifyApplication> {
  const tokenScheme = config.DPOP_REQUIRED ? 'DPoP' : 'Bearer';
  const app = await createHttpApp(GatewayModule.forRoot(config), {
    bodyLimit: config.BODY_LIMIT,
    bodies: 'raw',
    logger,
    trustedProxies: config.TRUSTED_PROXIES,
    // The edge makes its own request ids, except for one a trusted proxy in front sent.
    requestIdFrom: 'trusted-proxies',
    tokenScheme,
  });
  app.get(GatewayProxy).register(app.getHttpAdapter().getInstance(), tokenScheme);
  app.get(CartEventsRoute).register(app.getHttpAdapter().getInstance(), tokenScheme);
  // SHOP's own pages are same-origin and need no CORS. Under its same-site
  // sibling name (API_ORIGIN) the gateway is another origin: there, and only
  // there, pages from SHOP may call it, cookies included. Decided by Host.
  const siblingHost = new URL(apiOrigin(config)).host;
  const siblingCors = pageCors(config.SHOP_ORIGIN, {
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    extraHeaders: ['X-CSRF-Token'],
  });
  await corsForHost(app.getHttpAdapter().getInstance(), siblingHost, siblingCors);
  // The document maps every route for anyone: on the internet-facing edge it
  // is served in production only with DOCS_PUBLIC=true (docs/openapi/ has it).
  if (docsPublic(config)) {
    setupOpenApi(app, {
      title: 'gateway',
      description:
        "The gateway (SHOP): the one origin the shop page talks to. `/api/auth/*` is forwarded to AUTH `/auth/*` as it is (see the auth document for each operation); `/api/cart*` is authenticated here and forwarded to CART `/cart*` with a signed identity instead of the caller's credential (see the cart document). Client-sent identity headers (`X-User-Id`, `X-Auth-*`) are stripped.",
      tags: [
        { name: 'identity', description: 'Who the gateway says you are.' },
        { name: 'proxy', description: 'Forwarded to AUTH and CART.' },
        { name: 'demo', description: "The lab's page and its configuration." },
        { name: 'keys', description: "The gateway's public key for its identity tokens." },
        {
          name: 'sso',
          description: 'Single sign-on with AUTH: the gateway (SHOP) as a relying party.',
        },
      ],
      extraPaths: GATEWAY_PROXY_PATHS,
    });
  }
  return app;
}
