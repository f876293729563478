import type { FastifyRequest } from 'fastify';
import { AppError } from '@svt/shared/util-http';
import { safeEqual } from '@svt/shared/util-security';
import type { Identity } from './identity';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const CSRF_HEADER = 'x-csrf-token';

/**
 * A cookie rides along on cross-site requests; a header does not. So a
 * cookie-authenticated unsafe request must come from an allowed Origin and
 * echo the session's synchronizer token (OWASP CSRF Prevention Cheat Sheet).
 * Bearer and identity tokens are headers, and need neither.
 */
export function assertCsrfSafe(
  request: FastifyRequest,
  identity: Identity,
  allowedOrigins: ReadonlySet<string>,
): void {
  if (identity.credential !== 'session-cookie' || SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin === undefined || !allowedOrigins.has(origin)) {
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
