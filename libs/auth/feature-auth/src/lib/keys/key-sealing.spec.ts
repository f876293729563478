import { seal, unseal } from './key-sealing';

const SECRET = 'a-key-encryption-secret-of-32-chars!';

describe('seal', () => {
  it('round-trips through unseal with the same secret', () => {
    expect(unseal(seal('-----BEGIN PRIVATE KEY-----', SECRET), SECRET)).toBe(
      '-----BEGIN PRIVATE KEY-----',
    );
  });

  it('does not contain the plaintext', () => {
    expect(seal('private key material', SECRET)).not.toContain('private');
  });

  it('differs every time (random IV)', () => {
    expect(seal('same', SECRET)).not.toBe(seal('same', SECRET));
  });
});

describe('unseal', () => {
  it('throws with another secret', () => {
    expect(() => unseal(seal('key', SECRET), 'another-secret-of-at-least-32-characters')).toThrow();
  });

  it('throws when sealed for another purpose', () => {
    expect(() => unseal(seal('key', SECRET, 'svt-refresh-successor'), SECRET)).toThrow();
  });

  it('throws when the ciphertext was altered', () => {
    const [version, iv, tag, body] = seal('key material', SECRET).split('.');
    const flipped = Buffer.from(body ?? '', 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() =>
      unseal([version, iv, tag, flipped.toString('base64url')].join('.'), SECRET),
    ).toThrow();
  });
});
