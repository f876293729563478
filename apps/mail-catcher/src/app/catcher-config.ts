import { z } from 'zod';
import { env } from '@svt/shared/util-config';

/**
 * The mail catcher's environment (docs/operations.md, "Mail"); under
 * `npm start`, MAIL_PORT and MAIL_SMTP_PORT of `.env.example` become PORT and SMTP_PORT.
 */
export const catcherConfigSchema = z.object({
  /** Where both servers listen: loopback unless a container network needs more. */
  HOST: env.host,
  /** The HTTP page and API. */
  PORT: env.port(1080),
  /** The SMTP server the services send to (`SMTP_URL=smtp://<host>:<SMTP_PORT>`). */
  SMTP_PORT: env.port(1025),
});

export type CatcherConfig = z.infer<typeof catcherConfigSchema>;
