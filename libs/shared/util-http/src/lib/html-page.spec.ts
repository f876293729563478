import { createHash } from 'node:crypto';
import { escapeHtml, htmlPage } from './html-page';

describe(htmlPage.name, () => {
  const page = htmlPage({
    title: 'A <title>',
    main: '<p>hello</p>',
    formActions: ['http://a.localhost:1'],
  });

  it('allows its own stylesheet by hash and nothing else to load', () => {
    const style = /<style>(.*)<\/style>/.exec(page.body)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(page.csp).toContain(`style-src 'sha256-${hash}'`);
    expect(page.csp).toContain("default-src 'none'");
    expect(page.csp).not.toContain('script-src');
  });

  it('refuses to be framed and limits where its forms lead', () => {
    expect(page.csp).toContain("frame-ancestors 'none'");
    expect(page.csp).toContain('form-action http://a.localhost:1');
    expect(htmlPage({ title: 't', main: '' }).csp).toContain("form-action 'none'");
  });

  it('escapes its title', () => {
    expect(page.body).toContain('<title>A &#60;title&#62;</title>');
  });

  it('names one script of its own origin when asked, and lets it fetch from there', () => {
    const withScript = htmlPage({ title: 't', main: '', script: '/page.js' });
    expect(withScript.body).toContain('<script src="/page.js" defer></script>');
    expect(withScript.csp).toContain("script-src 'self'");
    expect(withScript.csp).toContain("connect-src 'self'");
  });
});

describe(escapeHtml.name, () => {
  it.each([
    ['<script>', '&#60;script&#62;'],
    ['"quoted"', '&#34;quoted&#34;'],
    ["it's", 'it&#39;s'],
    ['a & b', 'a &#38; b'],
  ])('escapes %s', (text, escaped) => {
    expect(escapeHtml(text)).toBe(escaped);
  });
});
