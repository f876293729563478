import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import type { JsonObject } from './http-client';

export interface DecodedJwt {
  header: JsonObject;
  payload: JsonObject;
  signature: string;
}

/**
 * Splits a compact JWS and base64url-decodes its header and payload.
 * No verification at all: this is for reading what a token carries.
 * Throws a `TypeError` when `token` is not three segments of JSON objects.
 */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw new TypeError(`a compact JWT has 3 segments, got ${parts.length}`);
  }
  return {
    header: decodeSegment(parts[0], 'header'),
    payload: decodeSegment(parts[1], 'payload'),
    signature: parts[2],
  };
}

/** An ES256 (P-256) key pair made by the test, for tokens no service should accept. */
export interface TestSigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JsonWebKey;
}

export function generateEs256Key(kid = 'test-key'): TestSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
  });
  return { kid, privateKey, publicJwk: publicKey.export({ format: 'jwk' }) };
}

/**
 * Signs `payload` as a compact ES256 JWS (`alg` is forced to ES256; `kid`
 * defaults to the key's). `key` may be a `TestSigningKey`, a `KeyObject` or a PEM.
 */
export function signEs256Jwt(
  payload: JsonObject,
  key: TestSigningKey | KeyObject | string,
  header: JsonObject = {},
): string {
  const keyObject =
    typeof key === 'string' ? createPrivateKey(key) : 'privateKey' in key ? key.privateKey : key;
  const kid = typeof key === 'object' && 'kid' in key ? key.kid : undefined;
  const fullHeader: JsonObject = {
    typ: 'JWT',
    ...(kid ? { kid } : {}),
    ...header,
    alg: 'ES256',
  };
  const signingInput = `${base64url(JSON.stringify(fullHeader))}.${base64url(JSON.stringify(payload))}`;
  // JWS (RFC 7518 §3.4) wants R || S, not the DER that Node produces by default.
  const signature = sign('sha256', Buffer.from(signingInput), {
    key: keyObject,
    dsaEncoding: 'ieee-p1363',
  });
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** Seconds since the epoch, as JWT `iat`/`exp` count them. */
export function epochSeconds(date: Date = new Date()): number {
  return Math.floor(date.getTime() / 1000);
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function decodeSegment(segment: string, what: string): JsonObject {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) {
    throw new TypeError(`JWT ${what} is not base64url`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new TypeError(`JWT ${what} is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError(`JWT ${what} is not a JSON object`);
  }
  return parsed as JsonObject;
}
