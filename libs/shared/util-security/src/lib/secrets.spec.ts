import { createHash } from 'node:crypto';
import { randomSecret, safeEqual, sha256Hex } from './secrets';

describe('randomSecret', () => {
  it('encodes 32 random bytes as 43 base64url characters by default', () => {
    expect(randomSecret()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never repeats', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => randomSecret()));
    expect(seen.size).toBe(1000);
  });

  it('refuses fewer than 128 bits with a TypeError', () => {
    expect(() => randomSecret(8)).toThrow(TypeError);
  });
});

describe('sha256Hex', () => {
  it('matches the published SHA-256 of "abc"', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('hashes the UTF-8 bytes of the string', () => {
    expect(sha256Hex('é')).toBe(
      createHash('sha256')
        .update(Buffer.from([0xc3, 0xa9]))
        .digest('hex'),
    );
  });
});

describe('safeEqual', () => {
  it.each([
    ['same', 'same', true],
    ['same', 'samf', false],
    ['short', 'shorter', false],
    ['', '', true],
  ])('compares %j and %j as %s', (a, b, expected) => {
    expect(safeEqual(a, b)).toBe(expected);
  });
});
