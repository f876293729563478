import { fragmentToken } from './mail-catcher-client';
import type { CaughtMail } from './mail-catcher-client';

const mail = (links: string[]): CaughtMail => ({
  id: 'm1',
  from: 'no-reply@auth.localhost',
  to: ['ada@example.test'],
  subject: 'Verify your address',
  text: links.join('\n'),
  html: null,
  receivedAt: '2026-12-07T20:00:00.000Z',
  links,
});

describe(fragmentToken.name, () => {
  it('returns the token of the #<key>=<token> link', () => {
    const links = [
      'http://shop.localhost:8080/',
      'http://shop.localhost:8080/#reset-password=r3set',
      'http://shop.localhost:8080/#verify-email=v3r%2Dify',
    ];
    expect(fragmentToken(mail(links), 'verify-email')).toBe('v3r-ify');
    expect(fragmentToken(mail(links), 'reset-password')).toBe('r3set');
  });

  it('matches the whole key, not a prefix of it', () => {
    expect(() =>
      fragmentToken(mail(['http://s.test/#verify-email-old=x']), 'verify-email'),
    ).toThrow(
      /no #verify-email=… link in the mail "Verify your address" to ada@example.test; its links: http:\/\/s\.test\/#verify-email-old=x/,
    );
  });
});
