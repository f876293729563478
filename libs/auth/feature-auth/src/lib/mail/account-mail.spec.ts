import { createLogger } from '@svt/shared/util-http';
import { AuditLog } from '../shared/audit-log';
import { AccountMail } from './account-mail';
import type { Mailer, MailMessage } from './mailer';

type Line = Record<string, unknown>;

const MESSAGE: MailMessage = {
  to: 'ada@example.test',
  subject: 'Reset your password',
  text: 'Open http://shop.localhost:8080/#reset-password=secret-token',
};

async function accountMail(send: Mailer['send']): Promise<{ mail: AccountMail; lines: Line[] }> {
  const lines: Line[] = [];
  const logger = await createLogger({
    format: 'json',
    level: 'info',
    destination: { write: (text: string) => lines.push(JSON.parse(text) as Line) },
  });
  return { mail: new AccountMail({ send }, new AuditLog(logger)), lines };
}

describe(AccountMail.name, () => {
  it('returns before the mail is sent, and sends it', async () => {
    let accept: () => void = () => undefined;
    const sent: MailMessage[] = [];
    const { mail } = await accountMail(
      (message) =>
        new Promise<void>((resolve) => {
          sent.push(message);
          accept = resolve;
        }),
    );

    const result = mail.send(MESSAGE, 'password_reset');

    expect(result).toBeUndefined();
    expect(sent).toEqual([MESSAGE]);
    let settled = false;
    const settling = mail.settled().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    accept();
    await settling;
    expect(settled).toBe(true);
  });

  it('records a failed send as mail.failed with the purpose and the error code, never the recipient or the text', async () => {
    const { mail, lines } = await accountMail(() =>
      Promise.reject(
        Object.assign(new Error('connect ECONNREFUSED for ada@example.test'), {
          code: 'ECONNREFUSED',
        }),
      ),
    );

    mail.send(MESSAGE, 'password_reset');
    await mail.settled();

    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        logger: 'audit',
        event: 'mail.failed',
        purpose: 'password_reset',
        reason: 'ECONNREFUSED',
      }),
    ]);
    const line = JSON.stringify(lines);
    expect(line).not.toContain('ada@example.test');
    expect(line).not.toContain('secret-token');
  });

  it('names an SMTP refusal by its reply code', async () => {
    const { mail, lines } = await accountMail(() =>
      Promise.reject(
        Object.assign(new Error('550 no such user'), { code: 'EENVELOPE', responseCode: 550 }),
      ),
    );

    mail.send(MESSAGE, 'verification');
    await mail.settled();

    expect(lines[0]).toMatchObject({ event: 'mail.failed', reason: 'smtp_550' });
  });

  it('waits for the mails in flight when the application shuts down', async () => {
    let accept: () => void = () => undefined;
    const { mail } = await accountMail(() => new Promise<void>((resolve) => (accept = resolve)));
    mail.send(MESSAGE, 'verification');

    let done = false;
    const shutdown = mail.onApplicationShutdown().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    accept();
    await shutdown;
    expect(done).toBe(true);
  });
});
