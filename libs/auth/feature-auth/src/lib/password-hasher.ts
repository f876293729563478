import argon2 from 'argon2';

/** The port to password hashing, injectable so unit tests can use a fast fake. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password or an unparsable hash; never throws for those. */
  verify(hash: string, password: string): Promise<boolean>;
}

export const PASSWORD_HASHER = Symbol.for('svt.PasswordHasher');

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first configuration:
 * m = 19 MiB, t = 2, p = 1. The native binding hashes on libuv's thread pool,
 * off the event loop.
 */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export class Argon2PasswordHasher implements PasswordHasher {
  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }
}
