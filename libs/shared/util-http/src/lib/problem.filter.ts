import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode, FieldError } from '@svt/shared/util-errors';
import { AppError, ERROR_CATALOG } from '@svt/shared/util-errors';
import type { TokenScheme } from './http-error-mapping';
import { problemHeaders, statusOf } from './http-error-mapping';

/** An RFC 9457 problem document, plus our stable `code`. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly errors?: readonly FieldError[];
}

const PROBLEM_TYPE_BASE = 'urn:svt:error:';

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
};

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthenticated',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
};

/** Maps anything thrown to a code; unknown errors become `internal_error`. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HttpException) {
    const code =
      STATUS_CODES[error.getStatus()] ??
      (error.getStatus() < 500 ? 'bad_request' : 'internal_error');
    return new AppError(code, undefined, { cause: error });
  }
  if (isClientError(error)) {
    const code =
      FASTIFY_CODES[error.code ?? ''] ??
      (error.name === 'SyntaxError' ? 'malformed_json' : STATUS_CODES[error.statusCode]) ??
      'bad_request';
    return new AppError(code, undefined, { cause: error });
  }
  return new AppError('internal_error', undefined, { cause: error });
}

/** The members an extension may not replace (RFC 9457 §3.1, and our `code` and `errors`). */
const STANDARD_MEMBERS: ReadonlySet<string> = new Set([
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'code',
  'errors',
]);

export function toProblem(error: AppError): Problem {
  const extensions = Object.fromEntries(
    Object.entries(error.extensions ?? {}).filter(([name]) => !STANDARD_MEMBERS.has(name)),
  );
  return {
    ...extensions,
    type: `${PROBLEM_TYPE_BASE}${error.code}`,
    title: ERROR_CATALOG[error.code].title,
    status: statusOf(error),
    detail: error.detail,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

/**
 * Answers `exception` as an RFC 9457 problem with a stable code, never a
 * stack trace or a library message; a server error is logged with its cause,
 * naming the request. `tokenScheme`: the scheme a 401 challenges with.
 */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  exception: unknown,
  tokenScheme: TokenScheme = 'Bearer',
): void {
  const error = toAppError(exception);
  const status = statusOf(error);
  if (status >= 500) {
    serverErrors.error(
      `${error.code} (request ${request.id}): ${describe(error.cause ?? error)}`,
      error.cause instanceof Error ? error.cause.stack : undefined,
    );
  }
  void reply
    .status(status)
    .headers({
      ...problemHeaders(error, tokenScheme),
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
    })
    .send(JSON.stringify(toProblem(error)));
}

const serverErrors = new Logger('Problem');

/** The one exception filter of every Nest route: `sendProblem`. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  /** `tokenScheme`: the scheme the app's 401s challenge with (see `TokenScheme`). */
  constructor(private readonly tokenScheme: TokenScheme = 'Bearer') {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(
      http.getRequest<FastifyRequest>(),
      http.getResponse<FastifyReply>(),
      exception,
      this.tokenScheme,
    );
  }
}

function isClientError(error: unknown): error is Error & { statusCode: number; code?: string } {
  if (!(error instanceof Error)) return false;
  const status = (error as Error & { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
