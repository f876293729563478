export { cartConfigSchema } from './lib/cart.config';
export type { CartConfig } from './lib/cart.config';
export { CartModule, CROSS_SITE_DETAIL } from './lib/cart.module';
export { createCartApp } from './lib/create-cart-app';
