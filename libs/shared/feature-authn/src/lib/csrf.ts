import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppError } from '@svt/shared/util-errors';
import { safeEqual } from '@svt/shared/util-security';
import type { AuthnOptions } from './authn.options';
import { AUTHN_OPTIONS } from './authn.options';
import type { Identity } from './identity';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const CSRF_HEADER = 'x-csrf-token';

/**
 * Fetch Metadata (`Sec-Fetch-Site`), set by browsers and unforgeable by a
 * page: a request another site made is `cross-site`. Clients that send none
 * (curl, older browsers) fall through to the Origin check.
 */
function isCrossSite(request: FastifyRequest): boolean {
  return request.headers['sec-fetch-site'] === 'cross-site';
}

/**
 * A cookie rides along on cross-site requests; a header does not. So a
 * cookie-authenticated unsafe request is refused when Fetch Metadata says
 * another site made it, must come from an allowed Origin, and must echo the
 * session's synchronizer token (OWASP CSRF Prevention Cheat Sheet, defence in
 * depth). Bearer and identity tokens are headers, and need none of it.
 */
export function assertCsrfSafe(
  request: FastifyRequest,
  identity: Identity,
  allowedOrigins: ReadonlySet<string>,
): void {
  if (identity.credential !== 'session-cookie' || SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  if (isCrossSite(request) || origin === undefined || !allowedOrigins.has(origin)) {
    throw new AppError(
      'forbidden_origin',
      'A cookie-authenticated change must come from an allowed Origin.',
    );
  }
  const token = request.headers[CSRF_HEADER];
  if (typeof token !== 'string' || !identity.csrfToken || !safeEqual(token, identity.csrfToken)) {
    throw new AppError('csrf_failed', 'Send the session’s CSRF token in the X-CSRF-Token header.');
  }
}

/**
 * Login CSRF: a page on another site must not be able to log the browser in
 * (or register, or spend a refresh token) under an account of its choosing.
 * A browser request must carry an allowed Origin (browsers send one on every
 * POST; `null` from sandboxed frames is not allowed), and a cross-site one
 * may not hide it. Clients that send neither header (curl, Postman) are not
 * browsers and pass.
 */
export function assertSameSiteRequest(
  request: FastifyRequest,
  allowedOrigins: ReadonlySet<string>,
): void {
  const origin = request.headers.origin;
  const refused = origin === undefined ? isCrossSite(request) : !allowedOrigins.has(origin);
  if (refused) {
    throw new AppError('forbidden_origin', 'This request must come from an allowed Origin.');
  }
}

/** `assertSameSiteRequest` as a guard, for the public endpoints that start a login. */
@Injectable()
export class SameSiteRequestGuard implements CanActivate {
  private readonly allowedOrigins: ReadonlySet<string>;

  constructor(@Inject(AUTHN_OPTIONS) options: AuthnOptions) {
    this.allowedOrigins = new Set(options.allowedOrigins);
  }

  canActivate(context: ExecutionContext): boolean {
    assertSameSiteRequest(context.switchToHttp().getRequest<FastifyRequest>(), this.allowedOrigins);
    return true;
  }
}
