import {
  authConfigSchema,
  createAuthApp,
  keyReloadIntervalMs,
  revokeSigningKey,
  rotateSigningKey,
  sendTestMail,
} from '@svt/auth/feature-auth';
import type { AuthConfig } from '@svt/auth/feature-auth';
import { loadConfigOrExit } from '@svt/shared/util-config';
import { startService } from '@svt/shared/util-http';

const USAGE =
  'usage: main.js [rotate-signing-key | revoke-signing-key <kid> | send-test-mail <address>]';

/** The one-off commands, by name: each prints what it did. */
const COMMANDS: Readonly<Record<string, (config: AuthConfig, args: string[]) => Promise<string>>> =
  {
    'rotate-signing-key': async (config) => {
      const { kid, activatesAt } = await rotateSigningKey(config);
      return `Added signing key ${kid}: published now, signing from ${new Date(activatesAt).toISOString()}`;
    },
    'revoke-signing-key': async (config, [kid]) => {
      const revoked = await revokeSigningKey(config, kid);
      const seconds = keyReloadIntervalMs(config.SIGNING_KEY_ACTIVATION_DELAY) / 1000;
      return [
        `Revoked signing key ${revoked.kid}: deleted, private half included.`,
        revoked.replacement
          ? `It was signing: ${revoked.replacement} signs from now on.`
          : 'It was not signing: nothing else changes.',
        `Running auth replicas stop publishing it within ${seconds} s; the gateway and CART refuse its tokens`,
        `at their next JWKS refresh after that (JWKS_REFRESH_INTERVAL, 30 s by default).`,
      ].join('\n');
    },
    'send-test-mail': (config, [address]) => sendTestMail(config, address),
  };

const [command, ...args] = process.argv.slice(2);
const arity: Readonly<Record<string, number>> = {
  'rotate-signing-key': 0,
  'revoke-signing-key': 1,
  'send-test-mail': 1,
};
if (command !== undefined && (!(command in COMMANDS) || args.length !== arity[command])) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(64);
}
// The one place that reads the environment: everything else gets the validated config.
// eslint-disable-next-line no-restricted-syntax
const config = loadConfigOrExit('auth', authConfigSchema, process.env);
if (command === undefined) {
  void startService({
    name: 'auth',
    config,
    origin: config.AUTH_ORIGIN,
    createApp: (logger) => createAuthApp(config, logger),
  });
} else {
  COMMANDS[command](config, args).then(
    (done) => process.stdout.write(`${done}\n`),
    (error: unknown) => {
      process.stderr.write(
        `auth failed to ${command}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
