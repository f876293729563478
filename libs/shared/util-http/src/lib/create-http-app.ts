import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { DynamicModule, INestApplication, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import fastifyCookie from '@fastify/cookie';
import { AppError } from './error-catalog';
import { ProblemFilter, toProblem } from './problem.filter';
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
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bodyParser: false,
    logger: options.logLevels ?? ['fatal', 'error', 'warn', 'log'],
  });
  const fastify = app.getHttpAdapter().getInstance();
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
  app.enableShutdownHooks();
  return app;
}

/** Listens and resolves to the bound address (useful with port 0). */
export async function listen(app: INestApplication, host: string, port: number): Promise<string> {
  await app.listen(port, host);
  return app.getUrl();
}

/** Quieter under test: warnings and errors only. */
export function logLevels(nodeEnv: 'development' | 'test' | 'production'): LogLevel[] {
  return nodeEnv === 'test' ? ['fatal', 'error', 'warn'] : ['fatal', 'error', 'warn', 'log'];
}
