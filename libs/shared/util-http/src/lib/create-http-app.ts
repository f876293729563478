import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Server } from 'node:http';
import type { DynamicModule, INestApplication, LogLevel, Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger, LoggerModule } from 'nestjs-pino';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import fastifyCookie from '@fastify/cookie';
import { AppError } from './error-catalog';
import { instrumentRequests, MetricsController } from './metrics';
import { ProblemFilter, toProblem } from './problem.filter';
import { REQUEST_ID_HEADER, requestIdGenerator, requestLogging } from './request-logging';
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
  readonly logLevels?: LogLevel[];
  /**
   * Peers whose `X-Forwarded-For` names the client (IPs, CIDRs, or proxy-addr
   * names such as `loopback`). Anyone else's is ignored: the peer is the client.
   */
  readonly trustedProxies?: readonly string[];
  /**
   * Keep an incoming X-Request-Id (default). The gateway, facing clients,
   * makes its own unless a trusted proxy stands in front of it.
   */
  readonly acceptRequestId?: boolean;
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
    return503OnClosing: true,
    trustProxy: options.trustedProxies?.length ? [...options.trustedProxies] : false,
    clientErrorHandler: answerClientError,
    genReqId: requestIdGenerator(options.acceptRequestId ?? true),
    requestIdHeader: false,
  });
  const levels = options.logLevels ?? ['fatal', 'error', 'warn', 'log'];
  @Module({
    imports: [
      module,
      LoggerModule.forRoot(requestLogging({ level: levels.includes('log') ? 'info' : 'warn' })),
    ],
    controllers: [MetricsController],
  })
  class HttpAppModule {}
  const app = await NestFactory.create<NestFastifyApplication>(HttpAppModule, adapter, {
    bodyParser: false,
    bufferLogs: true,
  });
  // Every log line, Nest's own included, as JSON through pino.
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  instrumentRequests(fastify);
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
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(createValidationPipe());
  return app;
}

/** How long in-flight requests may take to finish after SIGTERM before the process gives up. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Listens and resolves to the bound address (useful with port 0). On SIGTERM
 * or SIGINT the app stops accepting connections (503 to requests arriving
 * meanwhile), lets in-flight requests finish, closes its pools and stores, and
 * the process exits 0; 1 if that takes longer than 10 s.
 */
export async function listen(app: INestApplication, host: string, port: number): Promise<string> {
  await app.listen(port, host);
  const shutdown = (): void => {
    const timer = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    timer.unref();
    // A keep-alive connection that finishes its request after closing began
    // would otherwise stay open until the client drops it.
    const server = app.getHttpServer() as Server;
    setInterval(() => server.closeIdleConnections(), 100).unref();
    // The server first (stop accepting, let in-flight requests finish), then
    // Nest's hooks, which close the pools and stores those requests still use.
    app
      .getHttpAdapter()
      .close()
      .then(() => app.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  return app.getUrl();
}

/** Quieter under test: warnings and errors only. */
export function logLevels(nodeEnv: 'development' | 'test' | 'production'): LogLevel[] {
  return nodeEnv === 'test' ? ['fatal', 'error', 'warn'] : ['fatal', 'error', 'warn', 'log'];
}
