import type { HeadersObject } from '@nestjs/swagger';

export const SET_COOKIE: HeadersObject = {
  'Set-Cookie': {
    description:
      'The session cookie: `__Host-Http-sid=…; Path=/; HttpOnly; Secure; SameSite=Strict`.',
    schema: { type: 'string' },
  },
};

export const LOGIN_SET_COOKIE: HeadersObject = {
  'Set-Cookie': {
    description:
      'The session cookie, `__Host-Http-sid=…; Path=/; HttpOnly; Secure; SameSite=Strict`, and the device cookie (OWASP device cookies: later login attempts from this browser count on the device), `__Secure-device=…; Path=/auth; HttpOnly; Secure; SameSite=Strict` (`Path=/api/auth` through the gateway).',
    schema: { type: 'string' },
  },
};

/** What a session login answers beside its cookies: the offer of a device binding. */
export const DBSC_REGISTRATION: HeadersObject = {
  'Secure-Session-Registration': {
    description:
      'Device Bound Session Credentials (W3C DBSC draft), unless `DBSC_ENABLED=false`: `(ES256);path="session/dbsc/registration";challenge="…"`. A browser that supports DBSC registers a key it cannot export there; others ignore it.',
    schema: { type: 'string' },
  },
};

/** The challenge the next DBSC proof signs. */
export const DBSC_CHALLENGE: HeadersObject = {
  'Secure-Session-Challenge': {
    description: '`"<challenge>";id="<session id>"`: the challenge the next proof must sign.',
    schema: { type: 'string' },
  },
};

export const NO_STORE: HeadersObject = {
  'Cache-Control': {
    description: 'Credentials are never cached.',
    schema: { type: 'string', enum: ['no-store'] },
  },
};

/** The optional `DPoP` proof of a token request (RFC 9449 §5). */
export const DPOP_PROOF_HEADER = {
  name: 'DPoP',
  required: false,
  description:
    'A DPoP proof (RFC 9449): a `dpop+jwt` signed with ES256 by the public key in its `jwk` header, for this method and URL (`htm`, `htu`), with a fresh `jti` and `iat`. With it the tokens are bound to that key (`token_type: "DPoP"`); a bound refresh token needs a proof by its key. Required with `DPOP_REQUIRED=true`.',
  schema: { type: 'string' },
} as const;

/** Login CSRF: a browser may register, log in or refresh only from an allowed origin. */
export const LOGIN_PROBLEMS = [
  'validation_failed',
  'malformed_json',
  'forbidden_origin',
  'rate_limited',
  'store_unavailable',
] as const;
