export { createGatewayApp } from './lib/create-gateway-app';
export { gatewayConfigSchema } from './lib/gateway.config';
export type { GatewayConfig } from './lib/gateway.config';
export { GatewayModule } from './lib/gateway.module';
export {
  CART_EVENTS_CLOSE_CODES,
  cartEventsCloseReason,
} from './lib/cart-events/cart-events.close-codes';
export type {
  CartEventsCloseCode,
  CartEventsCloseReason,
} from './lib/cart-events/cart-events.close-codes';
export {
  BEARER_PROTOCOL_PREFIX,
  CART_EVENTS_PROTOCOL,
} from './lib/cart-events/cart-events.messages';
export type { AuthMessage, ServerMessage } from './lib/cart-events/cart-events.messages';
export { CART_EVENTS_PATH } from './lib/cart-events/cart-events.route';
