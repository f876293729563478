import { randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import type { Identity } from '@svt/shared/feature-authn';
import { DEVICE_BOUND_AMR, IDENTITY_TOKEN_TYPE } from '@svt/shared/feature-authn';
import type { SigningKey } from '@svt/shared/util-security';

export interface IdentityTokenSignerOptions {
  /** Tokens kept for reuse (default 10 000); when full, the oldest insertion goes first. */
  readonly maxEntries?: number;
  /** Epoch milliseconds. */
  readonly now?: () => number;
}

interface Minted {
  readonly token: string;
  /** Seconds, as in the token. */
  readonly iat: number;
  readonly exp: number;
}

/**
 * Signs the identity the gateway verified into a short-lived JWT for one
 * upstream (Oathkeeper's id_token mutator): the upstream checks the signature
 * against the gateway's JWKS instead of trusting a plain header.
 *
 * A token is reused for the same audience, user, session and login method
 * while at least half its lifetime remains, so a steady stream of requests
 * costs one signature per half-lifetime rather than one each (and the
 * upstream's verified-token cache hits). The upstream always receives at least
 * half a lifetime, far above the verifiers' clock tolerance. Revocation is
 * unaffected: upstreams check the `sid` against the denylist on every request.
 */
export class IdentityTokenSigner {
  private readonly jwt = new JwtService();
  private readonly minted = new Map<string, Minted>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly key: SigningKey,
    private readonly issuer: string,
    private readonly ttlSeconds: number,
    options: IdentityTokenSignerOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new TypeError(`maxEntries must be a positive integer, got ${this.maxEntries}`);
    }
    this.now = options.now ?? Date.now;
  }

  sign(identity: Identity, audience: string): string {
    const now = this.now();
    // The identity token never outlives the credential it stands for.
    const ceiling = Math.floor(identity.expiresAt / 1000);
    const amr = identity.deviceBound ? [identity.method, DEVICE_BOUND_AMR] : [identity.method];
    // Newlines appear in none of these (an origin, UUIDs, method names).
    const cacheKey = `${audience}\n${identity.userId}\n${identity.sessionId}\n${amr.join(' ')}`;
    const reusable = this.minted.get(cacheKey);
    if (
      reusable &&
      reusable.exp <= ceiling &&
      (reusable.exp * 1000 - now) * 2 >= (reusable.exp - reusable.iat) * 1000
    ) {
      return reusable.token;
    }
    const iat = Math.floor(now / 1000);
    const exp = Math.min(iat + this.ttlSeconds, ceiling);
    const token = this.jwt.sign(
      { sid: identity.sessionId, amr, jti: randomUUID(), iat, exp },
      {
        algorithm: 'ES256',
        privateKey: this.key.privateKey,
        keyid: this.key.kid,
        header: { alg: 'ES256', typ: IDENTITY_TOKEN_TYPE },
        subject: identity.userId,
        issuer: this.issuer,
        audience,
      },
    );
    this.minted.delete(cacheKey);
    if (exp - iat >= 1) {
      if (this.minted.size >= this.maxEntries) {
        const oldest = this.minted.keys().next();
        if (!oldest.done) this.minted.delete(oldest.value);
      }
      this.minted.set(cacheKey, { token, iat, exp });
    }
    return token;
  }
}
