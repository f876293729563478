import { Secret } from 'otpauth';
import { sha256Hex } from '@svt/shared/util-security';

/** How many recovery codes an enrolment gives out. */
export const RECOVERY_CODE_COUNT = 10;
const NORMALISED = /^[A-Z2-7]{16}$/;

/**
 * Fresh recovery codes: 80 random bits each, base32 (RFC 4648) in four groups
 * of four (`ABCD-EFGH-IJKL-MNOP`) so they can be read aloud and typed.
 */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    (new Secret({ size: 10 }).base32.match(/.{4}/g) ?? []).join('-'),
  );
}

/**
 * The stored form of a code as typed (any case, with or without dashes and
 * spaces): its SHA-256; null when it cannot be a recovery code.
 */
export function recoveryCodeHash(code: string): string | null {
  const normalised = code.toUpperCase().replace(/[\s-]/g, '');
  return NORMALISED.test(normalised) ? sha256Hex(normalised) : null;
}
