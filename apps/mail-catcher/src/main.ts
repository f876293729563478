import { pino, stdTimeFunctions } from 'pino';
import { loadConfigOrExit } from '@svt/shared/util-config';
import { catcherConfigSchema } from './app/catcher-config';
import { startMailCatcher } from './app/mail-catcher';

// The one place that reads the environment: everything else gets the validated config.
// eslint-disable-next-line no-restricted-syntax
const config = loadConfigOrExit('mail-catcher', catcherConfigSchema, process.env);
// The services' line format: the level's label and an ISO 8601 time.
const logger = pino({
  name: 'mail-catcher',
  formatters: { level: (label) => ({ level: label }) },
  timestamp: stdTimeFunctions.isoTime,
});

startMailCatcher(config, (mail) => {
  // Recipients and subject only: the text carries the links' tokens.
  logger.info({ id: mail.id, to: mail.to, subject: mail.subject }, 'mail caught');
})
  .then((catcher) => {
    logger.info(
      { host: config.HOST, smtpPort: catcher.smtpPort, httpPort: catcher.httpPort },
      'mail catcher listening',
    );
    const stop = (): void => {
      void catcher.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  })
  .catch((error: unknown) => {
    logger.fatal({ err: error }, 'mail catcher could not start');
    process.exit(1);
  });
