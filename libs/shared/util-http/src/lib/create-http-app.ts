import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import fastifyCookie from '@fastify/cookie';
import { AppError } from '@svt/shared/util-errors';
import { DrainModule, DrainState } from './draining';
import { instrumentRequests } from './metrics';
import { formatAddress, startMetricsServer } from './metrics-server';
import type { MetricsServer } from './metrics-server';
import { NestLogger } from './nest-logger';
import type { TokenScheme } from './http-error-mapping';
import { ProblemFilter, toProblem } from './problem.filter';
import { logRequests, REQUEST_ID_HEADER, requestIdGenerator } from './request-logging';
import { createValidationPipe } from './validation';

export interface HttpAppOptions {
  /** Largest accepted body in bytes; larger ones get 413 before any handler runs. */
  readonly bodyLimit: number;
  /**
   * `json`: only `application/json` bodies are parsed (anything else is 415,
   * which also refuses the form and text encodings of CSRF "simple requests").
   * `raw`: every body is kept as bytes, for a proxy to forward untouched.
   */
  readonly bodies: 'json' | 'raw';
  /** The process's logger (`createLogger`): Nest's lines and the request lines (`logRequests`) go through it. */
  readonly logger: Logger;
  /**
   * Peers whose `X-Forwarded-For` names the client (IPs, CIDRs, or proxy-addr
   * names such as `loopback`). Anyone else's is ignored: the peer is the client.
   */
  readonly trustedProxies?: readonly string[];
  /**
   * Whose X-Request-Id to keep: `anyone`'s (default, the services behind the
   * gateway), or only one sent by a peer in `trustedProxies` (the gateway,
   * facing clients, makes its own for everyone else).
   */
  readonly requestIdFrom?: 'anyone' | 'trusted-proxies';
  /** The scheme 401s challenge with: `DPoP` where only DPoP-bound tokens work (default `Bearer`). */
  readonly tokenScheme?: TokenScheme;
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers
 * over the limit, a malformed request line) answered as problems too, never
 * as Node's bare status line.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const problem = toProblem(
    new AppError(error.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : 'bad_request'),
  );
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/**
 * Creates a NestJS app on Fastify with the conventions every service shares:
 * problem responses, strict body parsing, validation, cookies, shutdown hooks.
 */
export async function createHttpApp(
  module: Type<unknown> | DynamicModule,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit,
    // A request whose connection was accepted before the server began to
    // close is served, not answered 503: a balancer retries a refused
    // connection on another replica, but passes a 503 on to the client. The
    // pools it needs close only after the server has (`shutdownSequence`).
    return503OnClosing: false,
    trustProxy: options.trustedProxies?.length ? [...options.trustedProxies] : false,
    clientErrorHandler: answerClientError,
    genReqId: requestIdGenerator(
      options.requestIdFrom === 'trusted-proxies'
        ? { trustedProxies: options.trustedProxies ?? [] }
        : 'anyone',
    ),
    requestIdHeader: false,
  });
  @Module({ imports: [DrainModule, module] })
  class HttpAppModule {}
  const app = await NestFactory.create<NestFastifyApplication>(HttpAppModule, adapter, {
    bodyParser: false,
    // Every line, Nest's own from the first on, through the process's logger.
    logger: new NestLogger(options.logger),
    // A failed bootstrap rejects here, for the caller to report, instead of
    // Nest printing it and exiting.
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  instrumentRequests(fastify);
  logRequests(fastify, options.logger);
  // The client learns the id its request was logged under.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.removeAllContentTypeParsers();
  if (options.bodies === 'json') {
    const parseJson = fastify.getDefaultJsonParser('error', 'error');
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
      // Nest would turn the parser's error into a bare 400; name it instead.
      parseJson(request, body as string, (error, value) =>
        error
          ? done(new AppError('malformed_json', 'The body is not valid JSON.'), undefined)
          : done(null, value),
      ),
    );
  } else {
    fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );
  }
  await app.register(fastifyCookie);
  app.useGlobalFilters(new ProblemFilter(options.tokenScheme));
  app.useGlobalPipes(createValidationPipe());
  return app;
}

/** How long in-flight requests may take to finish after SIGTERM before the process gives up. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface ListenOptions {
  /**
   * On SIGTERM, how long the app keeps serving with `/health/ready` at 503
   * before it stops accepting connections: a load balancer must see it leave
   * before the port closes, or it sends requests that are refused. 0 (the
   * default) closes at once. SIGINT (Ctrl-C) never waits.
   */
  readonly shutdownDelayMs?: number;
  /**
   * Port of the internal metrics server (`GET /metrics`), on the same host as
   * the app but apart from its port; 0 picks a free one.
   */
  readonly metricsPort: number;
}

/** Where a service listens, as bound: `0.0.0.0` in a container, not a guess at a reachable name. */
export interface Listening {
  /** The public port, e.g. `http://127.0.0.1:8080`, or `http://0.0.0.0:8080` with HOST=0.0.0.0. */
  readonly url: string;
  /** The metrics server, e.g. `http://127.0.0.1:9180`. */
  readonly metricsUrl: string;
}

/** What the shutdown sequence needs of an app; an `INestApplication` has it. */
export interface ClosableApp {
  getHttpServer(): Pick<Server, 'closeIdleConnections'>;
  getHttpAdapter(): { close(): unknown };
  close(): Promise<void>;
}

export interface ShutdownOptions {
  readonly drain: DrainState;
  readonly delayMs: number;
  readonly exit: (code: number) => void;
  /** Closed with the app's server, after the drain: a draining service can still be scraped. */
  readonly metrics?: Pick<MetricsServer, 'close'>;
}

/**
 * The signal handler `listen()` installs, separate so that it can be tested
 * without signals or exits. SIGTERM drains first (readiness 503, everything
 * else served) for `delayMs`; then, as for SIGINT, the server stops accepting
 * and finishes in-flight requests, Nest closes its pools and stores, and
 * `exit(0)`; `exit(1)` if that takes longer than 10 s. The metrics server
 * closes with the app's server. A SIGINT during the drain cuts it short.
 */
export function shutdownSequence(
  app: ClosableApp,
  options: ShutdownOptions,
): (signal: 'SIGTERM' | 'SIGINT') => void {
  let closing = false;
  let drainTimer: NodeJS.Timeout | undefined;
  const close = (): void => {
    if (closing) return;
    closing = true;
    clearTimeout(drainTimer);
    // Started only now: the drain is not part of the time allowed to finish.
    setTimeout(() => options.exit(1), SHUTDOWN_GRACE_MS).unref();
    // A keep-alive connection that finishes its request after closing began
    // would otherwise stay open until the client drops it.
    const server = app.getHttpServer();
    setInterval(() => server.closeIdleConnections(), 100).unref();
    // The servers first (stop accepting, let in-flight requests finish), then
    // Nest's hooks, which close the pools and stores those requests still use.
    Promise.all([app.getHttpAdapter().close(), options.metrics?.close()])
      .then(() => app.close())
      .then(
        () => options.exit(0),
        () => options.exit(1),
      );
  };
  return (signal) => {
    options.drain.start();
    if (signal === 'SIGTERM' && options.delayMs > 0 && drainTimer === undefined && !closing) {
      drainTimer = setTimeout(close, options.delayMs);
      return;
    }
    close();
  };
}

/**
 * Starts the metrics server on `metricsPort`, then listens, and resolves to
 * both bound addresses (useful with port 0). The metrics port opens first, so
 * a service that answers on its port can be scraped, and one whose metrics
 * port is taken never opens its own. On SIGTERM or SIGINT the app shuts down
 * as `shutdownSequence` describes, draining for `shutdownDelayMs` first on
 * SIGTERM.
 */
export async function listen(
  app: INestApplication,
  host: string,
  port: number,
  options: ListenOptions,
): Promise<Listening> {
  const metrics = await startMetricsServer(host, options.metricsPort);
  try {
    await app.listen(port, host);
  } catch (error) {
    await metrics.close();
    throw error;
  }
  const shutdown = shutdownSequence(app, {
    drain: app.get(DrainState),
    delayMs: options.shutdownDelayMs ?? 0,
    exit: (code) => process.exit(code),
    metrics,
  });
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // Not app.getUrl(), which names 0.0.0.0 as 127.0.0.1.
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  return { url: formatAddress(address), metricsUrl: metrics.url };
}
