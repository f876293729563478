import { Secret, TOTP } from 'otpauth';

/** RFC 6238 §4: the time step X, seconds; authenticator apps assume 30. */
export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
/**
 * Codes of one step either side are accepted too (RFC 6238 §5.2: clock drift
 * and the time a user takes to type), never more.
 */
const WINDOW = 1;
const CODE = /^\d{6}$/;

/**
 * A new shared secret, base32 (RFC 4648) as authenticator apps take it:
 * 160 bits, the HMAC-SHA1 key length RFC 4226 §4 recommends.
 */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, issuer = '', label = 'OTP'): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

/** The `otpauth://totp/…` URI an authenticator app scans (Key Uri Format). */
export function otpauthUri(secret: string, issuer: string, account: string): string {
  return totp(secret, issuer, account).toString();
}

/** Whether a string has the shape of a TOTP code (six digits), as opposed to a recovery code. */
export function looksLikeTotpCode(code: string): boolean {
  return CODE.test(code.trim());
}

/**
 * The time step (RFC 6238 §4.2 `T`) whose code `code` is, within the window
 * around `now` (epoch ms); null when it is none of them. The step is what
 * makes a code single-use: the caller accepts it only when it is later than
 * the last one accepted.
 */
export function matchingStep(secret: string, code: string, now: number): number | null {
  const token = code.trim();
  if (!CODE.test(token)) return null;
  const delta = totp(secret).validate({ token, timestamp: now, window: WINDOW });
  if (delta === null) return null;
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: now }) + delta;
}
