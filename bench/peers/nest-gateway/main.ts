/*
 * Peer "the usual NestJS gateway": written the way most NestJS tutorials write
 * a gateway, on purpose, so the benchmark shows what that shape costs next to
 * ours. By construction, and not by any figure measured here, it pays for:
 * - passport-jwt handing jsonwebtoken the public key as a PEM string, which
 *   jsonwebtoken turns into a key object (crypto.createPublicKey) on every
 *   verify;
 * - Express (the default adapter) and its body parser, rather than Fastify;
 * - http-proxy-middleware (node-http-proxy) without an `agent`: it opens a new
 *   upstream connection per request and sends `Connection: close`, and the
 *   upstream's `connection: close` is relayed, so the client's connection is
 *   closed after every response too.
 * Requests to /api/* need a valid Bearer token and are forwarded with their
 * path as it is; anything else is a 404.
 *
 * Env: PORT (0 picks a free port), UPSTREAM_URL, JWKS_URL (the first key is
 * fetched once at startup), ISSUER, AUDIENCE.
 */
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { config } from './config';

async function bootstrap(): Promise<void> {
  // Nest's start-up log goes to stdout, where the harness waits for one line.
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  await app.listen(config.port, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  console.log(`listening on http://127.0.0.1:${port}`);

  process.once('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}

void bootstrap();
