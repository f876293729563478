import { authConfigSchema, createAuthApp, rotateSigningKey } from '@svt/auth/feature-auth';
import { loadConfigOrExit } from '@svt/shared/util-config';
import { listen } from '@svt/shared/util-http';

const USAGE = 'usage: main.js [rotate-signing-key]';

async function main(command: string | undefined): Promise<void> {
  // The one place that reads the environment: everything else gets the validated config.
  // eslint-disable-next-line no-restricted-syntax
  const config = loadConfigOrExit('auth', authConfigSchema, process.env);
  if (command === 'rotate-signing-key') {
    const { kid, activatesAt } = await rotateSigningKey(config);
    process.stdout.write(
      `Added signing key ${kid}: published now, signing from ${new Date(activatesAt).toISOString()}\n`,
    );
    return;
  }
  const app = await createAuthApp(config);
  const { url, metricsUrl } = await listen(app, config.HOST, config.PORT, {
    shutdownDelayMs: config.SHUTDOWN_DELAY_MS,
    metricsPort: config.METRICS_PORT,
  });
  process.stdout.write(
    `auth listening on ${url}, public origin ${config.AUTH_ORIGIN}, metrics on ${metricsUrl}/metrics\n`,
  );
}

const command = process.argv[2];
if (command !== undefined && command !== 'rotate-signing-key') {
  process.stderr.write(`${USAGE}\n`);
  process.exit(64);
}
main(command).catch((error: unknown) => {
  process.stderr.write(
    `auth failed to ${command ?? 'start'}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
