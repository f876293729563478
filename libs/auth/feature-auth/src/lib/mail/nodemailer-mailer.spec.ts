import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { NodemailerMailer } from './nodemailer-mailer';

interface Received {
  readonly rcptTo: string[];
  readonly mail: ParsedMail;
}

/** A real SMTP server on a free loopback port that keeps what it receives. */
async function smtpServer(): Promise<{
  url: string;
  received: Received[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push({ rcptTo: session.envelope.rcptTo.map(({ address }) => address), mail });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  const port = await new Promise<number>((resolve) => {
    const listening = server.listen(0, '127.0.0.1', () =>
      resolve((listening.address() as AddressInfo).port),
    );
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe(NodemailerMailer.name, () => {
  it('hands a mail to the SMTP server with the configured From, the text and the HTML', async () => {
    const smtp = await smtpServer();
    try {
      const mailer = new NodemailerMailer({ url: smtp.url, from: 'Shop <no-reply@shop.test>' });

      await mailer.send({
        to: 'ada@example.test',
        subject: 'Verify your address',
        text: 'Open http://shop.localhost:8080/#verify-email=t0k',
        html: '<p><a href="http://shop.localhost:8080/#verify-email=t0k">Verify</a></p>',
      });

      expect(smtp.received).toHaveLength(1);
      const [{ rcptTo, mail }] = smtp.received;
      expect(rcptTo).toEqual(['ada@example.test']);
      expect(mail.from?.text).toBe('"Shop" <no-reply@shop.test>');
      expect(mail.subject).toBe('Verify your address');
      expect(mail.text?.trim()).toBe('Open http://shop.localhost:8080/#verify-email=t0k');
      expect(mail.html).toContain('href="http://shop.localhost:8080/#verify-email=t0k"');
    } finally {
      await smtp.close();
    }
  });

  it('sends text only when the message has no HTML', async () => {
    const smtp = await smtpServer();
    try {
      const mailer = new NodemailerMailer({ url: smtp.url, from: 'no-reply@shop.test' });

      await mailer.send({
        to: 'bob@example.test',
        subject: 'Notice',
        text: 'Your password changed.',
      });

      expect(smtp.received[0].mail.html).toBe(false);
    } finally {
      await smtp.close();
    }
  });

  it('rejects when no server accepts the connection', async () => {
    const smtp = await smtpServer();
    await smtp.close();
    const mailer = new NodemailerMailer({ url: smtp.url, from: 'no-reply@shop.test' });

    await expect(
      mailer.send({ to: 'ada@example.test', subject: 'x', text: 'x' }),
    ).rejects.toMatchObject({ code: 'ESOCKET' });
  });
});
