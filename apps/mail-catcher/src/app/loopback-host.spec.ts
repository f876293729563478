import { isLoopbackHost } from './loopback-host';

describe(isLoopbackHost.name, () => {
  it.each([
    'mail.localhost:1080',
    'localhost:1080',
    'localhost',
    '127.0.0.1:41234',
    '127.0.0.2',
    '[::1]:1080',
  ])('accepts %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'evil.example',
    'evil.example:1080',
    'localhost.evil.example',
    'mail.localhost.evil.example',
    '10.0.0.5:1080',
    '0.0.0.0:1080',
    'user@evil.example',
    'a b',
  ])('refuses %s', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
