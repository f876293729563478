export { createGatewayApp } from './lib/create-gateway-app';
export { gatewayConfigSchema } from './lib/gateway.config';
export type { GatewayConfig } from './lib/gateway.config';
export { GatewayModule } from './lib/gateway.module';
