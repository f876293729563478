import type { CaughtMail } from './caught-mail';
import { escapeHtml, linkify, renderInboxPage } from './inbox-page';

const mail = (overrides: Partial<CaughtMail> = {}): CaughtMail => ({
  id: 'id-1',
  from: 'Session vs Token <no-reply@auth.localhost>',
  to: ['ada@example.test'],
  subject: 'Verify your address',
  text: 'Open http://shop.localhost:8080/#verify-email=abc to verify.',
  html: null,
  receivedAt: '2026-12-07T20:00:00.000Z',
  links: ['http://shop.localhost:8080/#verify-email=abc'],
  ...overrides,
});

describe('escapeHtml', () => {
  it('escapes the five characters that end text or an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('linkify', () => {
  it('turns an http(s) URL into a link and leaves the sentence punctuation outside it', () => {
    expect(linkify('Open https://shop.example/#reset-password=t0k. Thanks')).toBe(
      'Open <a href="https://shop.example/#reset-password=t0k" target="_blank" rel="noopener noreferrer">https://shop.example/#reset-password=t0k</a>. Thanks',
    );
  });

  it('escapes the text around and inside links', () => {
    expect(linkify('<b>x</b> http://a.test/?q=1&r=2')).toBe(
      '&lt;b&gt;x&lt;/b&gt; <a href="http://a.test/?q=1&amp;r=2" target="_blank" rel="noopener noreferrer">http://a.test/?q=1&amp;r=2</a>',
    );
  });

  it.each(['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x'])(
    'makes no link of %s',
    (text) => {
      expect(linkify(text)).not.toContain('<a ');
    },
  );

  it('cannot be made to leave the href attribute by a quote in the URL', () => {
    const html = linkify('http://a.test/"onmouseover="alert(1)');
    expect(html).not.toContain('" onmouseover');
    expect(html).toContain('href="http://a.test/"');
  });
});

describe('renderInboxPage', () => {
  it('says so when no mail was caught', () => {
    expect(renderInboxPage([])).toContain('No mail yet');
  });

  it('shows sender, recipients, subject, time and the text with its links', () => {
    const page = renderInboxPage([mail()]);
    expect(page).toContain('Session vs Token &lt;no-reply@auth.localhost&gt;');
    expect(page).toContain('ada@example.test');
    expect(page).toContain('<h2>Verify your address</h2>');
    expect(page).toContain('2026-12-07T20:00:00.000Z');
    expect(page).toContain('<a href="http://shop.localhost:8080/#verify-email=abc"');
  });

  it('lists the mails in the order given (the mailbox gives newest first)', () => {
    const page = renderInboxPage([
      mail({ id: 'new', subject: 'B' }),
      mail({ id: 'old', subject: 'A' }),
    ]);
    expect(page.indexOf('mail-new')).toBeLessThan(page.indexOf('mail-old'));
  });

  it('never renders a mail’s HTML nor lets its fields inject markup', () => {
    const page = renderInboxPage([
      mail({
        from: '<script>alert(1)</script>',
        to: ['"><img src=x onerror=alert(1)>@x.test'],
        subject: '</h2><script>alert(2)</script>',
        text: '<iframe src="https://evil.test"></iframe>',
        html: '<script>alert(3)</script>',
      }),
    ]);
    expect(page).not.toMatch(/<script|<img|<iframe/i);
    expect(page).not.toContain('alert(3)');
  });
});
