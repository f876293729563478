import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { compile } from '@fastify/proxy-addr';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** The header that carries a request's id from the gateway to the services, and back to the client. */
export const REQUEST_ID_HEADER = 'x-request-id';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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

/** Health checks are probed every few seconds by orchestrators: not logged. */
const HEALTH = /^\/health(?:[/?]|$)/;

/**
 * One line per request, written when the answer has gone out: its id,
 * method, path (never the query), user agent, status and time, at `info`
 * (`error` for a 5xx). No other header and no body. Written from Fastify's
 * own hooks with the process's logger, not a child logger per request: the
 * line costs one write, and nothing is bound to the request's async context.
 * The line is made of these fields only, none of them a secret, so it skips
 * the logger's redaction, whose wildcard paths would search every field.
 */
export function logRequests(fastify: FastifyInstance, root: Logger): void {
  const logger = root.child({}, { redact: [] });
  const write = (
    request: FastifyRequest,
    statusCode: number,
    elapsedMs: number | undefined,
    message: string,
  ): void => {
    const level = statusCode >= 500 ? 'error' : 'info';
    if (!logger.isLevelEnabled(level) || HEALTH.test(request.url)) return;
    logger[level](
      {
        req: {
          id: request.id,
          method: request.method,
          path: request.url.split('?', 1)[0],
          userAgent: request.headers['user-agent'],
        },
        res: { statusCode },
        responseTime: elapsedMs === undefined ? undefined : Math.round(elapsedMs),
      },
      message,
    );
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    write(request, reply.statusCode, reply.elapsedTime, 'request completed');
    done();
  });
  // The client went away before the answer: no status was sent.
  fastify.addHook('onRequestAbort', (request, done) => {
    write(request, 0, undefined, 'request aborted');
    done();
  });
}
