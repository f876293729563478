/**
 * DPoP proofs (RFC 9449) signed by a P-256 key that never leaves the browser:
 * generated non-extractable, so a script in the page can use it while the page
 * is open but cannot copy it, and kept in IndexedDB (a structured clone of the
 * CryptoKeyPair) so that a reload keeps the same key.
 */

const DATABASE = 'shop-web';
const STORE = 'keys';
const KEY_NAME = 'dpop';

let keyPair: Promise<CryptoKeyPair> | null = null;

/** The page's DPoP key pair, loaded from IndexedDB or made there on first use. */
export function dpopKeyPair(): Promise<CryptoKeyPair> {
  keyPair ??= loadOrCreateKeyPair();
  return keyPair;
}

/**
 * A fresh proof for one request: `htu` is the absolute URL without query or
 * fragment (§4.2), `ath` binds the proof to the access token it goes with.
 */
export async function dpopProof(
  keys: CryptoKeyPair,
  method: string,
  url: string,
  accessToken: string | null,
  nonce: string | null,
): Promise<string> {
  const target = new URL(url, location.href);
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: await publicJwk(keys) };
  const payload = {
    jti: base64url(crypto.getRandomValues(new Uint8Array(16))),
    htm: method.toUpperCase(),
    htu: `${target.origin}${target.pathname}`,
    iat: Math.floor(Date.now() / 1000),
    ...(accessToken ? { ath: base64url(await sha256(accessToken)) } : {}),
    ...(nonce ? { nonce } : {}),
  };
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  // WebCrypto's ECDSA signature is already r || s, the form JWS ES256 uses (RFC 7518 §3.4).
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    keys.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${base64url(signature)}`;
}

/** The RFC 7638 thumbprint of the public key: what a bound token's `cnf.jkt` names. */
export async function dpopThumbprint(keys: CryptoKeyPair): Promise<string> {
  const { crv, kty, x, y } = await publicJwk(keys);
  return base64url(await sha256(JSON.stringify({ crv, kty, x, y })));
}

/** Only the public members: a proof carrying a private key is refused, and rightly. */
async function publicJwk(keys: CryptoKeyPair): Promise<Record<'kty' | 'crv' | 'x' | 'y', string>> {
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey);
  if (!kty || !crv || !x || !y) throw new TypeError('the public key exported no EC point');
  return { kty, crv, x, y };
}

async function loadOrCreateKeyPair(): Promise<CryptoKeyPair> {
  const database = await settle(openDatabase());
  try {
    const stored: unknown = await settle(
      database.transaction(STORE).objectStore(STORE).get(KEY_NAME),
    );
    if (isKeyPair(stored)) return stored;
    const created = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ]);
    await settle(
      database.transaction(STORE, 'readwrite').objectStore(STORE).put(created, KEY_NAME),
    );
    return created;
  } finally {
    database.close();
  }
}

function openDatabase(): IDBOpenDBRequest {
  const request = indexedDB.open(DATABASE, 1);
  request.onupgradeneeded = () => request.result.createObjectStore(STORE);
  return request;
}

function settle<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function isKeyPair(value: unknown): value is CryptoKeyPair {
  return (
    typeof value === 'object' &&
    value !== null &&
    'privateKey' in value &&
    value.privateKey instanceof CryptoKey &&
    'publicKey' in value &&
    value.publicKey instanceof CryptoKey
  );
}

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
}

function encodeJson(value: unknown): string {
  return base64url(new TextEncoder().encode(JSON.stringify(value)));
}

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const binary = Array.from(new Uint8Array(bytes), (byte) => String.fromCharCode(byte)).join('');
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
