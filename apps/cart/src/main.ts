import { cartConfigSchema, createCartApp } from '@svt/cart/feature-cart';
import { loadConfigOrExit } from '@svt/shared/util-config';
import { startService } from '@svt/shared/util-http';

// The one place that reads the environment: everything else gets the validated config.
// eslint-disable-next-line no-restricted-syntax
const config = loadConfigOrExit('cart', cartConfigSchema, process.env);
void startService({
  name: 'cart',
  config,
  origin: config.CART_ORIGIN,
  createApp: (logger) => createCartApp(config, logger),
});
