import { sha256Hex } from '@svt/shared/util-security';
import { newRecoveryCodes, RECOVERY_CODE_COUNT, recoveryCodeHash } from './recovery-codes';

describe('newRecoveryCodes', () => {
  it('makes ten distinct 80-bit base32 codes in four groups of four', () => {
    const codes = newRecoveryCodes();

    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
  });
});

describe('recoveryCodeHash', () => {
  it('hashes a code however it is typed: case, dashes and spaces do not matter', () => {
    const hash = sha256Hex('ABCDEFGHIJKLMNOP');

    expect(recoveryCodeHash('ABCD-EFGH-IJKL-MNOP')).toBe(hash);
    expect(recoveryCodeHash('abcd efgh ijkl mnop')).toBe(hash);
    expect(recoveryCodeHash('abcdefghijklmnop')).toBe(hash);
  });

  it.each([
    ['too short', 'ABCD-EFGH-IJKL'],
    ['outside base32', 'ABCD-EFGH-IJKL-MNO1'],
    ['a TOTP code', '123456'],
  ])('answers null for a code that is %s', (_, code) => {
    expect(recoveryCodeHash(code)).toBeNull();
  });
});
