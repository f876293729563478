import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';

/** The header that carries a request's id from the gateway to the services, and back to the client. */
export const REQUEST_ID_HEADER = 'x-request-id';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * What may reach a log line about a request, whatever a serializer or an
 * error object drags along: credentials are censored by path.
 */
const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-identity-token"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.refresh_token',
  '*.access_token',
];

export interface RequestLoggingOptions {
  /** pino level: `info` logs one line per request; `warn` only problems. */
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug';
}

/**
 * Fastify's `genReqId`: the caller's X-Request-Id when `accept` and it is
 * well-formed (nothing that could forge a log line), else a new UUID. Fastify
 * keeps it as `request.id`, which the request logs use.
 */
export function requestIdGenerator(accept: boolean): (request: IncomingMessage) => string {
  return (request) => {
    const incoming = request.headers[REQUEST_ID_HEADER];
    return accept && typeof incoming === 'string' && REQUEST_ID.test(incoming)
      ? incoming
      : randomUUID();
  };
}

/**
 * nestjs-pino settings every service shares: JSON lines, one per request with
 * its id, method, path (never the query), status and time; no headers but the
 * user agent, no bodies; credentials censored wherever they might appear.
 */
export function requestLogging(options: RequestLoggingOptions): Params {
  return {
    pinoHttp: {
      level: options.level,
      // Fastify's request id (see requestIdGenerator), not one of pino-http's own.
      genReqId: (request) => String((request as IncomingMessage & { id?: unknown }).id),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      autoLogging: { ignore: (request) => /^\/health\b/.test(request.url ?? '') },
      customLogLevel: (_request, response, error) =>
        error || response.statusCode >= 500 ? 'error' : 'info',
      serializers: {
        req: (request: {
          id: string;
          method: string;
          url: string;
          headers: Record<string, unknown>;
          remoteAddress?: string;
        }) => ({
          id: request.id,
          method: request.method,
          path: request.url.split('?', 1)[0],
          userAgent: request.headers['user-agent'],
        }),
        res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
      },
    },
  };
}
