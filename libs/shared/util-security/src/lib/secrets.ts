import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A fresh secret from the CSPRNG, base64url. 32 bytes = 256 bits, twice the
 * 128-bit floor of OWASP's session management guidance.
 */
export function randomSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16) {
    throw new TypeError('randomSecret needs at least 16 bytes (128 bits)');
  }
  return randomBytes(bytes).toString('base64url');
}

/**
 * Hex SHA-256 of a high-entropy secret. A fast hash is right for random
 * secrets (unlike passwords): stores keep this, never the secret itself.
 * Node's one-shot `hash` (a third of `createHash`'s time): every request
 * with a session cookie makes one.
 */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}
