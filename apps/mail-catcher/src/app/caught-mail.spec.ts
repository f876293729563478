import type { ParsedMail } from 'mailparser';
import { linksIn, toCaughtMail } from './caught-mail';

describe('linksIn', () => {
  it('finds the links of the text in order, without trailing punctuation', () => {
    expect(linksIn('First http://a.test/x, then (https://b.test/y).', null)).toEqual([
      'http://a.test/x',
      'https://b.test/y',
    ]);
  });

  it('keeps a fragment with its token', () => {
    expect(linksIn('http://shop.localhost:8080/#reset-password=AbC-_9', null)).toEqual([
      'http://shop.localhost:8080/#reset-password=AbC-_9',
    ]);
  });

  it('adds the http(s) hrefs of the HTML, entities decoded, each link once', () => {
    expect(
      linksIn(
        'http://a.test/x',
        `<a href="http://a.test/x">x</a><a href='https://b.test/?p=1&amp;q=2'>y</a>`,
      ),
    ).toEqual(['http://a.test/x', 'https://b.test/?p=1&q=2']);
  });

  it('ignores hrefs that are not http(s)', () => {
    expect(
      linksIn('', '<a href="javascript:alert(1)">x</a><a href="mailto:a@b.test">m</a>'),
    ).toEqual([]);
  });
});

describe('toCaughtMail', () => {
  it('takes the recipients from the envelope, so Bcc ones are listed too', () => {
    const parsed = {
      from: { text: 'Shop <no-reply@shop.test>' },
      subject: 'Hello',
      text: 'See http://a.test/',
      html: false,
    } as unknown as ParsedMail;
    expect(
      toCaughtMail(parsed, {
        id: 'm1',
        mailFrom: 'no-reply@shop.test',
        rcptTo: ['to@x.test', 'bcc@x.test'],
        receivedAt: new Date('2026-12-07T20:00:00Z'),
      }),
    ).toEqual({
      id: 'm1',
      from: 'Shop <no-reply@shop.test>',
      to: ['to@x.test', 'bcc@x.test'],
      subject: 'Hello',
      text: 'See http://a.test/',
      html: null,
      receivedAt: '2026-12-07T20:00:00.000Z',
      links: ['http://a.test/'],
    });
  });
});
