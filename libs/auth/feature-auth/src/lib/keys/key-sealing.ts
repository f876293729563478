import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** What a sealed value is for: keys derived for one purpose never open another's. */
export type SealingPurpose = 'svt-signing-keys' | 'svt-refresh-successor' | 'svt-totp-secret';

function deriveKey(secret: string, purpose: SealingPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, purpose, 'aes-256-gcm key sealing', 32));
}

/** Encrypts `plaintext` for storage with AES-256-GCM under a key derived from the secret. */
export function seal(
  plaintext: string,
  secret: string,
  purpose: SealingPurpose = 'svt-signing-keys',
): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret, purpose), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), body]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** Reverses `seal`; throws when the secret or purpose is wrong or the data was altered. */
export function unseal(
  sealed: string,
  secret: string,
  purpose: SealingPurpose = 'svt-signing-keys',
): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || !body) throw new Error('unknown sealed key format');
  const decipher = createDecipheriv(
    'aes-256-gcm',
    deriveKey(secret, purpose),
    Buffer.from(iv, 'base64url'),
  );
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([
    decipher.update(Buffer.from(body, 'base64url')),
    decipher.final(),
  ]).toString('utf8');
}
