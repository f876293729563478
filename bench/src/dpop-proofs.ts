import { KeyObject, randomUUID, sign } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { accessTokenHash } from '@svt/shared/testing';

/** The key a DPoP-bound token was issued to, as the `dpop` package makes it. */
export interface DpopKeyPair {
  readonly privateKey: webcrypto.CryptoKey;
  readonly publicKey: webcrypto.CryptoKey;
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/**
 * DPoP proofs (RFC 9449 §4.2) for one access token, method and URL, signed
 * ahead of a load run so that the load generator spends no time signing.
 * A proof is single use (the gateway refuses a replayed `jti`) and good for
 * 60 s after its `iat`: a pool is made right before the run that spends it.
 * When the pool runs dry, `next()` signs one on the spot and counts it.
 */
export class DpopProofs {
  private readonly key: KeyObject;
  private readonly header: string;
  private readonly ath: string;
  private pool: string[] = [];
  private taken = 0;
  private madeOnDemand = 0;

  constructor(
    keyPair: DpopKeyPair,
    accessToken: string,
    private readonly htu: string,
    private readonly htm: 'GET' | 'POST' = 'GET',
  ) {
    this.key = KeyObject.from(keyPair.privateKey);
    // Public members only: a private `d` in the header is refused (RFC 9449 §4.2).
    const { kty, crv, x, y } = KeyObject.from(keyPair.publicKey).export({ format: 'jwk' });
    this.header = base64url(
      JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }),
    );
    this.ath = accessTokenHash(accessToken);
  }

  /** Replaces the pool with `count` fresh proofs and resets the counters. */
  refill(count: number): void {
    const iat = Math.floor(Date.now() / 1000);
    this.pool = Array.from({ length: count }, () => this.make(iat));
    this.taken = 0;
    this.madeOnDemand = 0;
  }

  /** The next unused proof. */
  next(): string {
    const proof = this.pool[this.taken];
    if (proof !== undefined) {
      this.taken += 1;
      return proof;
    }
    this.madeOnDemand += 1;
    return this.make(Math.floor(Date.now() / 1000));
  }

  /** Proofs signed during the run because the pool had run dry, since the last `refill`. */
  get onDemand(): number {
    return this.madeOnDemand;
  }

  private make(iat: number): string {
    const payload = base64url(
      JSON.stringify({ jti: randomUUID(), htm: this.htm, htu: this.htu, iat, ath: this.ath }),
    );
    const input = `${this.header}.${payload}`;
    // JWS wants ECDSA signatures as r || s, not DER (RFC 7518 §3.4).
    const signature = sign('sha256', Buffer.from(input), {
      key: this.key,
      dsaEncoding: 'ieee-p1363',
    });
    return `${input}.${base64url(signature)}`;
  }
}
