import { cartConfigSchema, createCartApp } from '@svt/cart/feature-cart';
import { loadConfigOrExit } from '@svt/shared/util-config';
import { listen } from '@svt/shared/util-http';

async function main(): Promise<void> {
  // The one place that reads the environment: everything else gets the validated config.
  // eslint-disable-next-line no-restricted-syntax
  const config = loadConfigOrExit('cart', cartConfigSchema, process.env);
  const app = await createCartApp(config);
  const { url, metricsUrl } = await listen(app, config.HOST, config.PORT, {
    shutdownDelayMs: config.SHUTDOWN_DELAY_MS,
    metricsPort: config.METRICS_PORT,
  });
  process.stdout.write(
    `cart listening on ${url}, public origin ${config.CART_ORIGIN}, metrics on ${metricsUrl}/metrics\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `cart failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
