import type { KeyObject } from 'node:crypto';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PublicJwk } from '@svt/shared/feature-authn';

/** The gateway's own signing key for identity tokens, and its public JWK. */
export interface IdentityKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: PublicJwk;
}

/**
 * Loads the key from `file`, creating it on first start. Exclusive creation
 * (`wx`) means two gateways starting together end up with one key.
 */
export async function loadOrCreateIdentityKey(file: string): Promise<IdentityKey> {
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
  const kid = createHash('sha256')
    .update(JSON.stringify({ crv, kty: 'EC', x, y }))
    .digest('base64url');
  return { kid, privateKey, jwk: { kty: 'EC', crv, x, y, kid, alg: 'ES256', use: 'sig' } };
}
