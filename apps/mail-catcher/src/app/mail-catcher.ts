import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { SMTPServer } from 'smtp-server';
import type { CatcherConfig } from './catcher-config';
import type { CaughtMail } from './caught-mail';
import { createHttpApi } from './http-api';
import { Mailbox } from './mailbox';
import { createSmtpListener } from './smtp-listener';

/** A running catcher: where its two servers listen, and how to stop them. */
export interface RunningCatcher {
  readonly smtpPort: number;
  readonly httpPort: number;
  readonly mailbox: Mailbox;
  close(): Promise<void>;
}

/**
 * Starts the SMTP server and the HTTP page/API over one mailbox. Port 0 picks
 * a free port (tests). `onMail` hears of each caught mail (the process logs it).
 */
export async function startMailCatcher(
  config: Pick<CatcherConfig, 'HOST' | 'PORT' | 'SMTP_PORT'>,
  onMail: (mail: CaughtMail) => void = () => undefined,
): Promise<RunningCatcher> {
  const mailbox = new Mailbox();
  const smtp = createSmtpListener((mail) => {
    mailbox.add(mail);
    onMail(mail);
  });
  const http = createHttpApi(mailbox);
  const smtpPort = await listenSmtp(smtp, config.HOST, config.SMTP_PORT);
  let httpPort: number;
  try {
    await http.listen({ host: config.HOST, port: config.PORT });
    httpPort = (http.server.address() as AddressInfo).port;
  } catch (error) {
    await closeSmtp(smtp);
    throw error;
  }
  return {
    smtpPort,
    httpPort,
    mailbox,
    close: async () => {
      await Promise.all([closeSmtp(smtp), closeHttp(http)]);
    },
  };
}

function listenSmtp(smtp: SMTPServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    smtp.once('error', reject);
    const server = smtp.listen(port, host, () => {
      smtp.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeSmtp(smtp: SMTPServer): Promise<void> {
  return new Promise((resolve) => smtp.close(() => resolve()));
}

async function closeHttp(http: FastifyInstance): Promise<void> {
  await http.close();
}
