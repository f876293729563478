import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { compile } from '@fastify/proxy-addr';
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
 * Whose X-Request-Id is kept: `anyone`'s (a service behind the gateway), or
 * only that of a peer among `trustedProxies` (IPs, CIDRs, or the names
 * `loopback`, `linklocal`, `uniquelocal`), as Fastify's `trustProxy` reads them.
 */
export type RequestIdSource = 'anyone' | { readonly trustedProxies: readonly string[] };

/**
 * Fastify's `genReqId`: the caller's X-Request-Id when `source` lets the
 * TCP peer name it and it is well-formed (nothing that could forge a log
 * line), else a new UUID. Fastify keeps it as `request.id`, which the
 * request logs use.
 */
export function requestIdGenerator(source: RequestIdSource): (request: IncomingMessage) => string {
  const mayName = source === 'anyone' ? () => true : peerIsOneOf(source.trustedProxies);
  return (request) => {
    const incoming = request.headers[REQUEST_ID_HEADER];
    return typeof incoming === 'string' && REQUEST_ID.test(incoming) && mayName(request)
      ? incoming
      : randomUUID();
  };
}

/** Whether the TCP peer is one of `proxies`, matched as Fastify matches its trustProxy list. */
function peerIsOneOf(proxies: readonly string[]): (request: IncomingMessage) => boolean {
  const trusted = compile([...proxies]);
  return (request) => {
    const peer = request.socket.remoteAddress;
    return peer !== undefined && trusted(peer, 0);
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
