import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { compile } from '@fastify/proxy-addr';
import type { Params } from 'nestjs-pino';
import type { Logger } from 'pino';

/** The header that carries a request's id from the gateway to the services, and back to the client. */
export const REQUEST_ID_HEADER = 'x-request-id';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestLoggingOptions {
  /**
   * The process's logger (see `createLogger`), whose level, format and
   * redaction the request lines share: at `info` one line per request, at
   * `warn` only the failed ones.
   */
  readonly logger: Logger;
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
export function peerIsOneOf(proxies: readonly string[]): (request: IncomingMessage) => boolean {
  const trusted = compile([...proxies]);
  return (request) => {
    const peer = request.socket.remoteAddress;
    return peer !== undefined && trusted(peer, 0);
  };
}

/**
 * nestjs-pino settings every service shares: one line per request with its
 * id, method, path (never the query), status and time; no headers but the
 * user agent, no bodies. The lines are the logger's children: same format,
 * same censored paths.
 */
export function requestLogging(options: RequestLoggingOptions): Params {
  return {
    pinoHttp: {
      logger: options.logger,
      // Fastify's request id (see requestIdGenerator), not one of pino-http's own.
      genReqId: (request) => String((request as IncomingMessage & { id?: unknown }).id),
      // Health checks (a balancer's, every 250 ms) are not requests worth a line. Nest
      // runs this middleware under a mount point, whose url is `/`: the path is in originalUrl.
      autoLogging: {
        ignore: (request) => {
          const { originalUrl, url } = request as IncomingMessage & { originalUrl?: string };
          return /^\/health\b/.test(originalUrl ?? url ?? '');
        },
      },
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
