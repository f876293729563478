import type { KeySource } from './key-source';

/** What a JWT must be to be accepted. */
export interface JwtVerification {
  readonly issuer: string;
  readonly audience: string;
  /** The `typ` header (RFC 8725 §3.11): `at+jwt` for access tokens (RFC 9068). */
  readonly type: string;
  readonly algorithm: 'ES256';
  readonly keys: KeySource;
  /** Most verified tokens remembered (`VerifiedTokenCache`'s default when unset). */
  readonly cacheSize?: number;
}

/** The claims this system puts in its JWTs; nothing personal. */
export interface TokenClaims {
  readonly iss: string;
  readonly aud: string | string[];
  readonly sub: string;
  readonly sid: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  /**
   * Access tokens: the authentication methods of the login (RFC 8176, RFC
   * 9068 §2.2.1). Identity tokens: how the user logged in at the gateway.
   */
  readonly amr?: readonly string[];
  /** Access tokens: when the user last proved a factor, seconds (RFC 9068 §2.2.1). */
  readonly auth_time?: number;
  /** Access tokens: `aal1` or `aal2` (RFC 9068 §2.2.1). */
  readonly acr?: string;
  /** Access tokens bound to a DPoP key: its RFC 7638 thumbprint (RFC 9449 §6.1). */
  readonly cnf?: { readonly jkt?: unknown };
}

/** Skew allowed between the issuer's clock and ours, for `exp`, `nbf` and `iat`. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** Tokens larger than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;

/** Header parameters that would make a verifier fetch or trust a key named by the token itself. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit'] as const;

/**
 * Checks the protected header before any signature work (RFC 8725 §2.1, §3.1):
 * the pinned algorithm, the explicit type, a kid, and no key-carrying headers.
 * Returns the kid, or a reason for refusing.
 */
export function checkHeader(
  token: string,
  verification: Pick<JwtVerification, 'type' | 'algorithm'>,
): { kid: string } | { refused: string } {
  if (token.length > MAX_TOKEN_LENGTH) return { refused: 'token too large' };
  const [encoded] = token.split('.', 1);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(encoded ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return { refused: 'malformed header' };
  }
  if (header === null || typeof header !== 'object') return { refused: 'malformed header' };
  if (header['alg'] !== verification.algorithm) return { refused: 'algorithm not allowed' };
  if (!sameType(header['typ'], verification.type)) return { refused: 'wrong token type' };
  if (FORBIDDEN_HEADERS.some((name) => name in header))
    return { refused: 'forbidden header parameter' };
  const kid = header['kid'];
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128)
    return { refused: 'missing kid' };
  return { kid };
}

/** `typ` compares case-insensitively and may omit `application/` (RFC 7515 §4.1.9). */
function sameType(actual: unknown, expected: string): boolean {
  if (typeof actual !== 'string') return false;
  const normalise = (value: string): string => value.toLowerCase().replace(/^application\//, '');
  return normalise(actual) === normalise(expected);
}

/** RFC 9068 §2.1: the `typ` of JWT access tokens. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** The gateway's identity token has a type of its own, so neither is taken for the other. */
export const IDENTITY_TOKEN_TYPE = 'identity+jwt';
