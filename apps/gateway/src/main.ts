import { gatewayConfigSchema, createGatewayApp } from '@svt/gateway/feature-proxy';
import { loadConfigOrExit } from '@svt/shared/util-config';
import { startService } from '@svt/shared/util-http';

// The one place that reads the environment: everything else gets the validated config.
// eslint-disable-next-line no-restricted-syntax
const config = loadConfigOrExit('gateway', gatewayConfigSchema, process.env);
void startService({
  name: 'gateway',
  config,
  origin: config.SHOP_ORIGIN,
  createApp: (logger) => createGatewayApp(config, logger),
});
