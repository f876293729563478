import { Secret, TOTP } from 'otpauth';
import { looksLikeTotpCode, matchingStep, newTotpSecret, otpauthUri } from './totp-codes';

/** RFC 6238 Appendix B's SHA1 key, "12345678901234567890". */
const RFC_SECRET = Secret.fromLatin1('12345678901234567890').base32;
/** A frozen clock: 2033-05-18T03:33:20Z, time step 66666666 (RFC 6238 Appendix B). */
const NOW = 2_000_000_000_000;
const STEP = Math.floor(NOW / 30_000);

const codeAt = (timestamp: number, secret = RFC_SECRET): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp });

describe('matchingStep', () => {
  it('matches the RFC 6238 test vector (SHA1, T = 66666666) truncated to 6 digits', () => {
    expect(codeAt(NOW)).toBe('279037');
    expect(matchingStep(RFC_SECRET, '279037', NOW)).toBe(STEP);
  });

  it.each([
    ['the previous step', -1],
    ['the next step', 1],
  ])('accepts a code of %s (a window of one step)', (_, offset) => {
    const code = codeAt(NOW + offset * 30_000);

    expect(matchingStep(RFC_SECRET, code, NOW)).toBe(STEP + offset);
  });

  it.each([
    ['two steps ago', -2],
    ['two steps ahead', 2],
  ])('refuses a code from %s', (_, offset) => {
    const code = codeAt(NOW + offset * 30_000);

    expect(matchingStep(RFC_SECRET, code, NOW)).toBeNull();
  });

  it.each([
    ['too short', '27903'],
    ['too long', '2790370'],
    ['not digits', '27903a'],
    ['empty', ''],
  ])('refuses a code that is %s', (_, code) => {
    expect(matchingStep(RFC_SECRET, code, NOW)).toBeNull();
  });

  it('refuses the code of another secret', () => {
    const other = newTotpSecret();
    expect(matchingStep(RFC_SECRET, codeAt(NOW, other), NOW)).toBeNull();
  });
});

describe('newTotpSecret', () => {
  it('makes 160-bit secrets in base32, a new one each time', () => {
    const secret = newTotpSecret();

    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
  });
});

describe('otpauthUri', () => {
  it('names the issuer and the account, with SHA1, 6 digits and 30 s', () => {
    const uri = new URL(otpauthUri(RFC_SECRET, 'Session vs Token', 'ada@example.com'));

    expect(uri.protocol).toBe('otpauth:');
    expect(decodeURIComponent(uri.pathname)).toContain('Session vs Token:ada@example.com');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({
      issuer: 'Session vs Token',
      secret: RFC_SECRET,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });
});

describe('looksLikeTotpCode', () => {
  it('tells six digits from a recovery code', () => {
    expect(looksLikeTotpCode('123456')).toBe(true);
    expect(looksLikeTotpCode(' 123456 ')).toBe(true);
    expect(looksLikeTotpCode('ABCD-EFGH-IJKL-MNOP')).toBe(false);
  });
});
