import { randomUUID } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { generateEs256Key, signEs256Jwt } from '@svt/shared/testing';
import type { TestSigningKey } from '@svt/shared/testing';

/** RFC 9068 §2.1: the `typ` of JWT access tokens, which the gateway insists on. */
const ACCESS_TOKEN_TYPE = 'at+jwt';

/** AUTH's default ACCESS_TOKEN_TTL: the lifetime of the tokens minted here too. */
const ACCESS_TOKEN_TTL_SECONDS = 600;

/**
 * Access tokens by the thousand, each for a user and a token family of its
 * own, with the claims and header AUTH puts in its own (`sub`, `sid`, `jti`,
 * `iat`, `exp`, `iss`, `aud`; `typ: at+jwt`, ES256, a `kid`), signed with a
 * P-256 key of the bench that the stand-in upstream publishes beside AUTH's.
 * Logging in N times would spend N argon2 hashes; AUTH's own key is sealed in
 * its database under a secret the harness makes up. Verifying these costs the
 * gateway what verifying AUTH's costs: the same algorithm, curve and checks.
 */
export class AccessTokenMinter {
  private readonly key: TestSigningKey = generateEs256Key(`bench-scale-${randomUUID()}`);

  constructor(
    private readonly issuer: string,
    private readonly audience: string,
  ) {}

  /** The public key, as a JWKS entry, for the stand-in's `EXTRA_JWKS`. */
  get publicJwk(): JsonWebKey {
    return { ...this.key.publicJwk, kid: this.key.kid, alg: 'ES256', use: 'sig' };
  }

  /** `count` tokens, each of a distinct user and family, all valid for ten minutes from now. */
  mint(count: number): string[] {
    const iat = Math.floor(Date.now() / 1000);
    return Array.from({ length: count }, () =>
      signEs256Jwt(
        {
          sid: randomUUID(),
          jti: randomUUID(),
          iat,
          exp: iat + ACCESS_TOKEN_TTL_SECONDS,
          sub: randomUUID(),
          iss: this.issuer,
          aud: this.audience,
        },
        this.key,
        { typ: ACCESS_TOKEN_TYPE },
      ),
    );
  }
}
