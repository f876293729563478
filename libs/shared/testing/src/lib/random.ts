import { randomBytes } from 'node:crypto';

/** `bytes` random bytes as lower-case hex. */
export function randomHex(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}

/** A fresh address on the reserved `.test` TLD, unique per call. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomHex(8)}@example.test`;
}

/** A password that satisfies the contract (8–1024 characters). */
export function strongPassword(): string {
  return `pw-${randomHex(12)}`;
}
