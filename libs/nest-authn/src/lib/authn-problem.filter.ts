import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@svt/shared/util-errors';
import { sendProblem } from '@svt/shared/util-http';

/**
 * Answers what the pipeline refused as an RFC 9457 problem with its
 * `WWW-Authenticate` challenge (RFC 6750 §3): 401 `unauthenticated` or
 * `invalid_token`, 403 for a cross-site cookie request, 503 when a store is
 * down. Only those errors: the application's own stay with its own filters.
 */
@Catch(AppError)
export class AuthnProblemFilter implements ExceptionFilter {
  catch(error: AppError, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), error);
  }
}
