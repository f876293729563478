import { randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { CaughtMail } from './caught-mail';
import { toCaughtMail } from './caught-mail';

/** The largest mail accepted, bytes: a development inbox holds links and short texts. */
export const MAX_MAIL_BYTES = 1024 * 1024;

/**
 * An SMTP server (RFC 5321) that accepts every mail without authentication or
 * TLS and hands it, parsed, to `deliver`. Development and tests only: it
 * listens on loopback unless told otherwise (the compose network).
 */
export function createSmtpListener(deliver: (mail: CaughtMail) => void): SMTPServer {
  return new SMTPServer({
    name: 'mail-catcher',
    banner: 'mail catcher: every mail is kept, none is delivered',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MAIL_BYTES,
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          if (stream.sizeExceeded) {
            callback(
              Object.assign(new Error('552 message exceeds the size limit'), { responseCode: 552 }),
            );
            return;
          }
          const { mailFrom, rcptTo } = session.envelope;
          deliver(
            toCaughtMail(parsed, {
              id: randomUUID(),
              mailFrom: mailFrom === false ? null : mailFrom.address,
              rcptTo: rcptTo.map(({ address }) => address),
              receivedAt: new Date(),
            }),
          );
          callback();
        })
        .catch((error: unknown) => {
          callback(error instanceof Error ? error : new Error(String(error)));
        });
    },
  });
}
