import type { JWTPayload, JWTVerifyGetKey, ProtectedHeaderParameters } from 'jose';
import { jwtVerify } from 'jose';

/** The event a logout token announces (OpenID Connect Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** What a logout token must say to be accepted, besides its signature. */
export interface LogoutTokenExpectations {
  /** AUTH's issuer identifier: AUTH_ORIGIN, never the internal URL. */
  readonly issuer: string;
  /** This relying party's client id. */
  readonly audience: string;
  /** How old (`iat`) a token may be: AUTH posts it the moment the session ends. */
  readonly maxAgeSeconds: number;
  /** Allowed clock difference with AUTH, both ways. */
  readonly clockToleranceSeconds: number;
}

/** The claims of an accepted logout token. */
export interface LogoutClaims {
  readonly sub: string;
  readonly sid: string;
  readonly jti: string;
  readonly iat: number;
}

/** Why a logout token was refused: a stable id for the log, never for the caller. */
export type LogoutTokenRefusal =
  | 'malformed'
  | 'signature_or_claims'
  | 'typ'
  | 'iat'
  | 'events'
  | 'nonce'
  | 'sid'
  | 'sub'
  | 'jti';

export type LogoutTokenCheck =
  | { readonly ok: true; readonly claims: LogoutClaims }
  | { readonly ok: false; readonly reason: LogoutTokenRefusal };

/** A logout token is a small JWT; anything far bigger is refused before parsing. */
const MAX_TOKEN_LENGTH = 8192;

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 1024;
}

/**
 * The checks of Back-Channel Logout §2.6 that come after the signature,
 * `iss`, `aud` and `exp` (which `jwtVerify` makes): `typ` `logout+jwt` when
 * present (§2.4, RFC 8725 §3.11: an ID token cannot pass as one), `iat`
 * present and recent, the logout event, no `nonce` (so an ID token is
 * refused), a `jti` for the replay check. The spec asks for `sub` or `sid`;
 * we require both: our sessions are found per user (the store has a per-user
 * index, no scan), then by `sid` (AUTH registers us with
 * `backchannel_logout_session_required`).
 */
export function checkLogoutClaims(
  header: ProtectedHeaderParameters,
  payload: JWTPayload,
  expectations: LogoutTokenExpectations,
  nowMs: number,
): LogoutTokenCheck {
  const typ = header.typ?.toLowerCase();
  if (typ !== undefined && typ !== 'logout+jwt' && typ !== 'application/logout+jwt') {
    return { ok: false, reason: 'typ' };
  }
  const now = nowMs / 1000;
  const { iat, events, sid, sub, jti } = payload;
  if (
    typeof iat !== 'number' ||
    iat > now + expectations.clockToleranceSeconds ||
    iat < now - expectations.maxAgeSeconds - expectations.clockToleranceSeconds
  ) {
    return { ok: false, reason: 'iat' };
  }
  if (
    typeof events !== 'object' ||
    events === null ||
    typeof (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] !== 'object' ||
    (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] === null
  ) {
    return { ok: false, reason: 'events' };
  }
  if ('nonce' in payload) return { ok: false, reason: 'nonce' };
  if (!nonEmptyString(sid)) return { ok: false, reason: 'sid' };
  if (!nonEmptyString(sub)) return { ok: false, reason: 'sub' };
  if (!nonEmptyString(jti)) return { ok: false, reason: 'jti' };
  return { ok: true, claims: { sub, sid, jti, iat } };
}

/**
 * Verifies logout tokens from AUTH: ES256 only, against AUTH's keys, for
 * this client, then `checkLogoutClaims`. A bad token is a refusal, never an
 * exception.
 */
export class LogoutTokenVerifier {
  constructor(
    private readonly keys: JWTVerifyGetKey,
    private readonly expectations: LogoutTokenExpectations,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(token: unknown): Promise<LogoutTokenCheck> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      return { ok: false, reason: 'malformed' };
    }
    const nowMs = this.now();
    let verified: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      verified = await jwtVerify(token, this.keys, {
        algorithms: ['ES256'],
        issuer: this.expectations.issuer,
        audience: this.expectations.audience,
        clockTolerance: this.expectations.clockToleranceSeconds,
        currentDate: new Date(nowMs),
      });
    } catch {
      return { ok: false, reason: 'signature_or_claims' };
    }
    return checkLogoutClaims(verified.protectedHeader, verified.payload, this.expectations, nowMs);
  }
}
