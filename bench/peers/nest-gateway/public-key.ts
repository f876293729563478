import { createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';

export const JWT_PUBLIC_KEY = 'JWT_PUBLIC_KEY';

/** The first key of the auth service's JWKS, as a PEM string. */
export async function fetchPublicKeyPem(jwksUrl: string): Promise<string> {
  const response = await fetch(jwksUrl);
  if (!response.ok) throw new Error(`GET ${jwksUrl} answered ${response.status}`);
  const { keys } = (await response.json()) as { keys: JsonWebKey[] };
  if (!keys[0]) throw new Error(`${jwksUrl} has no keys`);
  return createPublicKey({ key: keys[0], format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}
