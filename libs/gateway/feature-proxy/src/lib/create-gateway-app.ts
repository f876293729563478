import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, logLevels } from '@svt/shared/util-http';
import type { GatewayConfig } from './gateway.config';
import { GatewayModule } from './gateway.module';

/**
 * The gateway, ready to listen. Bodies stay raw bytes: the upstreams parse
 * them. The gateway is the edge: it takes X-Forwarded-For only from
 * TRUSTED_PROXIES (a load balancer in front), and passes the client address on.
 */
export function createGatewayApp(config: GatewayConfig): Promise<NestFastifyApplication> {
  return createHttpApp(GatewayModule.forRoot(config), {
    bodyLimit: config.BODY_LIMIT,
    bodies: 'raw',
    logLevels: logLevels(config.NODE_ENV),
    trustedProxies: config.TRUSTED_PROXIES,
  });
}
