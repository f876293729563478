import type { Counter } from 'prom-client';
import { AppError } from '@svt/shared/util-errors';
import { tokenCacheLookups } from '../authn.metrics';
import type { KeySource } from './key-source';
import { CLOCK_TOLERANCE_SECONDS } from './jwt-verification';
import type { TokenVerifier, VerifiedToken } from './token-verifier';

export interface VerifiedTokenCacheOptions {
  /** Labels the hit/miss counter: `bearer` or `identity-token`. */
  readonly name: string;
  /** Most tokens kept (default 10 000); when full, the oldest insertion goes first. */
  readonly maxEntries?: number;
  /** Epoch milliseconds. */
  readonly now?: () => number;
}

interface Entry {
  readonly verified: VerifiedToken;
  /** The first whole second at which jsonwebtoken refuses the token as expired. */
  readonly expiredFromSecond: number;
}

/**
 * A `TokenVerifier` that remembers the tokens another verifier accepted,
 * keyed by the exact
 * token string, so that a token seen before costs a map lookup instead of an
 * ES256 verification (fast-jwt's verified-token cache: about 300k lookups a
 * second against 10k verifications on this hardware).
 *
 * What makes a hit as good as a verification:
 * - only successes are stored: a refused token is verified again every time,
 *   so nothing bad becomes good and nothing good is refused from the cache;
 * - the key is the whole token, never a hash of its claims: a re-encoded or
 *   malleated token (ECDSA signatures are malleable) is another key and is
 *   verified in full;
 * - an entry lives until the second at which jsonwebtoken, with the same
 *   clock tolerance, would refuse the token as expired, never longer (`nbf`
 *   and `iat`, once passed, stay passed; issuer and audience are fixed);
 * - a hit asks the key source whether the token's kid is still published, so
 *   a key withdrawn at the issuer ends its cached tokens with the next JWKS
 *   refresh, as it ends uncached ones. The kids of this system are JWK
 *   thumbprints (RFC 7638): a kid names its key material, so "still
 *   published" means "the same key".
 *
 * Revocation is not its business: callers check the denylist on every
 * request, hit or miss.
 */
export class VerifiedTokenCache implements TokenVerifier {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly hits: Counter.Internal;
  private readonly misses: Counter.Internal;

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly keys: KeySource,
    options: VerifiedTokenCacheOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new TypeError(`maxEntries must be a positive integer, got ${this.maxEntries}`);
    }
    this.now = options.now ?? (() => Date.now());
    this.hits = tokenCacheLookups.labels({ cache: options.name, result: 'hit' });
    this.misses = tokenCacheLookups.labels({ cache: options.name, result: 'miss' });
  }

  /**
   * From the cache when `token` passed verification before, else from the
   * verifier, remembered on success only. While the keys are kept past their
   * allowed age (AUTH unreachable for too long) a miss fails closed with a
   * 503, not a 401 that would tell the client its token is bad.
   */
  verify(token: string): VerifiedToken | Promise<VerifiedToken | null> {
    const known = this.get(token);
    if (known) return known;
    if (this.keys.isStale?.()) {
      throw new AppError(
        'store_unavailable',
        'The keys that verify tokens could not be refreshed.',
      );
    }
    return Promise.resolve(this.verifier.verify(token)).then((verified) => {
      if (verified) this.set(token, verified);
      return verified;
    });
  }

  /** What `token` was verified as, or `null` when it must be verified (again). */
  get(token: string): VerifiedToken | null {
    const entry = this.entries.get(token);
    if (entry && this.isLive(entry) && this.keys.has(entry.verified.keyId)) {
      this.hits.inc();
      return entry.verified;
    }
    if (entry) this.entries.delete(token);
    this.misses.inc();
    return null;
  }

  /** Remembers what a full verification of `token` produced; call on success only. */
  set(token: string, verified: VerifiedToken): void {
    // floor: a fractional `exp` ends the entry no later than jsonwebtoken ends the token.
    const entry: Entry = {
      verified: Object.freeze({
        identity: Object.freeze(verified.identity),
        keyId: verified.keyId,
      }),
      expiredFromSecond: Math.floor(verified.identity.expiresAt / 1000) + CLOCK_TOLERANCE_SECONDS,
    };
    if (!this.isLive(entry)) return;
    this.entries.delete(token);
    this.makeRoom();
    this.entries.set(token, entry);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private isLive(entry: Entry): boolean {
    return Math.floor(this.now() / 1000) < entry.expiredFromSecond;
  }

  /**
   * Walks from the oldest insertion, dropping expired entries, and live ones
   * while still full. Tokens of one issuer share a lifetime, so the expired
   * ones gather at the old end; each entry is dropped once, so the walk costs
   * O(1) amortised.
   */
  private makeRoom(): void {
    if (this.entries.size < this.maxEntries) return;
    for (const [token, entry] of this.entries) {
      if (this.entries.size < this.maxEntries && this.isLive(entry)) return;
      this.entries.delete(token);
    }
  }
}
