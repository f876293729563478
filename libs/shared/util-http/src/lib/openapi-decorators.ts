import { applyDecorators } from '@nestjs/common';
import type { ResponseObject } from '@nestjs/swagger';
import { ApiBearerAuth, ApiCookieAuth, ApiResponse, ApiSecurity } from '@nestjs/swagger';
import type { ErrorCode } from '@svt/shared/util-errors';
import { AppError, ERROR_CATALOG } from '@svt/shared/util-errors';
import { statusOf } from './http-error-mapping';
import { toProblem } from './problem.filter';

/** Security scheme names, as operations reference them. */
export const SESSION_SCHEME = 'session';
export const BEARER_SCHEME = 'bearer';
export const DPOP_SCHEME = 'dpop';

/** Codes every authenticated route may answer: no or a bad credential, a store that cannot answer. */
export const AUTHENTICATED_PROBLEMS = [
  'unauthenticated',
  'invalid_token',
  'invalid_dpop_proof',
  'use_dpop_nonce',
  'bound_cookie_required',
  'device_binding_required',
  'store_unavailable',
] as const satisfies readonly ErrorCode[];

/** Codes a token request with a DPoP proof may also answer, as 400s (RFC 9449 §5). */
export const TOKEN_REQUEST_DPOP_PROBLEMS = [
  'invalid_dpop_proof',
  'use_dpop_nonce',
] as const satisfies readonly ErrorCode[];

/** Codes a cookie-authenticated change may also answer (Bearer requests need neither check). */
export const COOKIE_CHANGE_PROBLEMS = [
  'csrf_failed',
  'forbidden_origin',
] as const satisfies readonly ErrorCode[];

/** Examples of `detail` where the catalog title alone would say too little. */
const EXAMPLE_DETAILS: Partial<Record<ErrorCode, string>> = {
  validation_failed: 'One or more fields are invalid.',
  unauthenticated: 'No credential was sent: a session cookie or an Authorization header.',
  invalid_token: 'The access token has expired.',
  invalid_dpop_proof: 'This DPoP proof has been used before.',
  use_dpop_nonce: 'Make the DPoP proof again with the nonce in DPoP-Nonce.',
  bound_cookie_required:
    'This session is bound to its device (DBSC) and its short-lived bound cookie is missing or expired. The browser that registered it renews the cookie by itself; a copy of the cookies cannot.',
  cart_full:
    'The cart already holds 100 different items, the most it may: change the quantity of one, or remove one first.',
  rate_limited: 'Too many attempts; try again in 30 seconds.',
  store_unavailable: 'The session store did not answer.',
};

function exampleProblem(code: ErrorCode): ReturnType<typeof toProblem> {
  return toProblem(
    new AppError(code, EXAMPLE_DETAILS[code] ?? ERROR_CATALOG[code].title, {
      ...(code === 'validation_failed'
        ? { errors: [{ field: 'email', message: 'must be an email address' }] }
        : {}),
    }),
  );
}

const HEADERS_BY_STATUS: Readonly<Record<number, Record<string, { $ref: string }>>> = {
  401: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } },
  429: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
};

/** `DPoP-Nonce` rides with `use_dpop_nonce`, whatever its status. */
const DPOP_NONCE_HEADER = { 'DPoP-Nonce': { $ref: '#/components/headers/DPoP-Nonce' } };

/**
 * The problem responses an operation may answer, from the error catalog: one
 * response per status, one example per code. List every code of an operation
 * in one call: a second call for the same status would replace the first.
 */
export function ApiProblems(...codes: readonly ErrorCode[]): MethodDecorator & ClassDecorator {
  return asDecorators(problemResponses(...codes));
}

/** `ApiProblems` of a token endpoint, whose DPoP refusals are 400s (RFC 9449 §5). */
export function ApiTokenRequestProblems(
  ...codes: readonly ErrorCode[]
): MethodDecorator & ClassDecorator {
  return asDecorators(responsesByStatus(codes, true));
}

function asDecorators(responses: Record<string, ResponseObject>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...Object.entries(responses).map(([status, response]) =>
      ApiResponse({ status: Number(status), ...response }),
    ),
  );
}

/** The same responses as a plain OpenAPI `responses` fragment, for paths described by hand. */
export function problemResponses(...codes: readonly ErrorCode[]): Record<string, ResponseObject> {
  return responsesByStatus(codes, false);
}

function responsesByStatus(
  codes: readonly ErrorCode[],
  tokenRequest: boolean,
): Record<string, ResponseObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = statusOf(new AppError(code, undefined, { tokenRequest }));
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      String(status),
      {
        description: `Problem: ${group.map((code) => `\`${code}\``).join(', ')} (see docs/errors.md).`,
        ...headersOf(status, group),
        content: {
          'application/problem+json': {
            schema: { $ref: '#/components/schemas/Problem' },
            examples: Object.fromEntries(
              group.map((code) => [
                code,
                { summary: ERROR_CATALOG[code].title, value: exampleProblem(code) },
              ]),
            ),
          },
        },
      },
    ]),
  );
}

function headersOf(
  status: number,
  codes: readonly ErrorCode[],
): { headers?: Record<string, { $ref: string }> } {
  const headers = {
    ...HEADERS_BY_STATUS[status],
    ...(codes.includes('use_dpop_nonce') ? DPOP_NONCE_HEADER : {}),
  };
  return Object.keys(headers).length > 0 ? { headers } : {};
}

/**
 * Marks an operation (or a controller) as needing a credential: the
 * `__Host-Http-sid` session cookie or an access token, Bearer or DPoP-bound.
 */
export function ApiAuthenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiCookieAuth(SESSION_SCHEME),
    ApiBearerAuth(BEARER_SCHEME),
    ApiSecurity(DPOP_SCHEME),
  );
}
