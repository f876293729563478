import { authConfigSchema, createAuthApp } from '@svt/auth/feature-auth';
import { loadConfigOrExit } from '@svt/shared/util-config';
import { listen } from '@svt/shared/util-http';

async function main(): Promise<void> {
  // The one place that reads the environment: everything else gets the validated config.
  // eslint-disable-next-line no-restricted-syntax
  const config = loadConfigOrExit('auth', authConfigSchema, process.env);
  const app = await createAuthApp(config);
  const url = await listen(app, config.HOST, config.PORT);
  process.stdout.write(`auth listening on ${url}, public origin ${config.AUTH_ORIGIN}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `auth failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
