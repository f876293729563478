import { request } from 'undici';
import { startSystem, uniqueEmail } from '@svt/shared/testing';
import type { SystemUnderTest } from '@svt/shared/testing';

const MAIL_FROM = 'Session vs Token e2e <no-reply@auth.e2e.test>';

let sut: SystemUnderTest;

beforeAll(async () => {
  sut = await startSystem({ env: { auth: { MAIL_FROM } } });
}, 90_000);

afterAll(async () => {
  await sut?.stop();
});

describe('the mail path: AUTH → SMTP_URL → the mail catcher', () => {
  it('delivers a mail sent through AUTH’s configured SMTP server and From to the catcher', async () => {
    const to = uniqueEmail('mail');

    const { code, stdout, stderr } = await sut.command('auth', ['send-test-mail', to]);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(`Sent a test mail to ${to} through smtp://127.0.0.1:`);
    const mail = await sut.mail.waitForMail(to);
    expect(mail).toMatchObject({
      from: `"Session vs Token e2e" <no-reply@auth.e2e.test>`,
      to: [to],
      subject: 'Test mail from Session vs Token',
    });
    expect(mail.text).toContain(`auth service at ${sut.auth.origin}`);
    expect(Date.parse(mail.receivedAt)).not.toBeNaN();
  });

  it('lists a mail only under its recipient, and shows it on the catcher’s page', async () => {
    const to = uniqueEmail('mail');
    await sut.command('auth', ['send-test-mail', to]);
    await sut.mail.waitForMail(to);

    expect(await sut.mail.messages(uniqueEmail('nobody'))).toEqual([]);
    const page = await request(`${sut.mail.process.url}/`);
    expect(page.statusCode).toBe(200);
    expect(await page.body.text()).toContain(to);
  });

  it('forgets every mail on clear()', async () => {
    const to = uniqueEmail('mail');
    await sut.command('auth', ['send-test-mail', to]);
    await sut.mail.waitForMail(to);

    await sut.mail.clear();

    expect(await sut.mail.messages()).toEqual([]);
  });

  it('rejects waitForMail after its timeout, naming what did arrive', async () => {
    await expect(sut.mail.waitForMail(uniqueEmail('never'), () => true, 300)).rejects.toThrow(
      /no matching mail to .* within 300 ms \(mails to that address: none\)/,
    );
  });
});
