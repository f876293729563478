import { createTransport } from 'nodemailer';
import { request } from 'undici';
import { startMailCatcher } from './mail-catcher';
import type { RunningCatcher } from './mail-catcher';

describe(startMailCatcher.name, () => {
  let catcher: RunningCatcher;
  let base: string;

  beforeAll(async () => {
    catcher = await startMailCatcher({ HOST: '127.0.0.1', PORT: 0, SMTP_PORT: 0 });
    base = `http://127.0.0.1:${catcher.httpPort}`;
  });

  afterAll(async () => {
    await catcher.close();
  });

  beforeEach(() => catcher.mailbox.clear());

  const send = (to: string, subject: string): Promise<unknown> =>
    createTransport(`smtp://127.0.0.1:${catcher.smtpPort}`).sendMail({
      from: 'Shop <no-reply@shop.test>',
      to,
      subject,
      text: `Open http://shop.localhost:8080/#verify-email=${subject}`,
    });

  const json = async (path: string, method: 'GET' | 'DELETE' = 'GET') => {
    const response = await request(`${base}${path}`, { method });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      headers: response.headers,
      body: text === '' ? undefined : JSON.parse(text),
    };
  };

  it('keeps a mail sent over SMTP and lists it through the API, newest first', async () => {
    await send('ada@example.test', 'first');
    await send('bob@example.test', 'second');
    const { status, body } = await json('/api/messages');
    expect(status).toBe(200);
    expect(body.messages.map((m: { subject: string }) => m.subject)).toEqual(['second', 'first']);
    expect(body.messages[1]).toMatchObject({
      from: '"Shop" <no-reply@shop.test>',
      to: ['ada@example.test'],
      links: ['http://shop.localhost:8080/#verify-email=first'],
    });
  });

  it('filters by recipient and finds one mail by id', async () => {
    await send('ada@example.test', 'for-ada');
    await send('bob@example.test', 'for-bob');
    const { body } = await json(`/api/messages?to=${encodeURIComponent('ada@example.test')}`);
    expect(body.messages).toHaveLength(1);
    const one = await json(`/api/messages/${body.messages[0].id}`);
    expect(one.body.subject).toBe('for-ada');
  });

  it('answers 404 with a problem for an unknown id', async () => {
    const { status, headers } = await json('/api/messages/nope');
    expect(status).toBe(404);
    expect(headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('forgets every mail on DELETE /api/messages', async () => {
    await send('ada@example.test', 'gone');
    expect((await json('/api/messages', 'DELETE')).status).toBe(204);
    expect((await json('/api/messages')).body.messages).toEqual([]);
  });

  it('serves the page with a policy that allows no script', async () => {
    await send('ada@example.test', 'page');
    const response = await request(`${base}/`);
    const page = await response.body.text();
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['content-security-policy']).not.toContain('script-src');
    expect(page).toContain('ada@example.test');
  });

  it('answers 421 to a request addressed to another name (DNS rebinding)', async () => {
    await send('ada@example.test', 'rebound');
    const response = await request(`${base}/api/messages`, {
      headers: { host: 'evil.example:1080' },
    });
    expect(response.statusCode).toBe(421);
    expect(await response.body.text()).not.toContain('ada@example.test');
  });

  it.each(['/health/live', '/health/ready'])('answers 200 on %s', async (path) => {
    expect((await json(path)).status).toBe(200);
  });
});
