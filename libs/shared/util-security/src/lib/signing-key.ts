import type { KeyObject } from 'node:crypto';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The public half of a `SigningKey`, as a JWK (RFC 7517) for a JWKS. */
export interface PublicSigningJwk {
  readonly kty: 'EC';
  readonly crv: string;
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: 'ES256';
  readonly use: 'sig';
}

/** A service's own ES256 signing key: the private half, and the public JWK it publishes. */
export interface SigningKey {
  /** The JWK thumbprint-like id: SHA-256 of the public key's members, base64url. */
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: PublicSigningJwk;
}

/**
 * Loads a P-256 key from the PEM `file`, creating it on first start.
 * Exclusive creation (`wx`) means two replicas starting together end up with
 * one key. One file per purpose: a key signs one kind of thing.
 */
export async function loadOrCreateSigningKey(file: string): Promise<SigningKey> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    try {
      await writeFile(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), {
        flag: 'wx',
        mode: 0o600,
      });
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
    }
    pem = await readFile(file, 'utf8');
  }
  const privateKey = createPrivateKey(pem);
  const { crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
  if (crv === undefined || x === undefined || y === undefined) {
    throw new TypeError(`${file} does not hold an EC key`);
  }
  const kid = createHash('sha256')
    .update(JSON.stringify({ crv, kty: 'EC', x, y }))
    .digest('base64url');
  return { kid, privateKey, jwk: { kty: 'EC', crv, x, y, kid, alg: 'ES256', use: 'sig' } };
}
