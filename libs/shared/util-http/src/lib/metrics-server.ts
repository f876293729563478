import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { register } from 'prom-client';
import type { ErrorCode } from '@svt/shared/util-errors';
import { AppError } from '@svt/shared/util-errors';
import { toProblem } from './problem.filter';

/** The internal listener that answers `GET /metrics`. */
export interface MetricsServer {
  /** Where it listens, e.g. `http://127.0.0.1:9180`. */
  readonly url: string;
  /** Stops accepting, lets a scrape in flight finish. */
  close(): Promise<void>;
}

function sendProblem(response: ServerResponse, code: ErrorCode): void {
  const problem = toProblem(new AppError(code));
  const body = JSON.stringify(problem);
  response.writeHead(problem.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}

async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '').split('?', 1)[0];
  if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
    sendProblem(response, 'not_found');
    return;
  }
  let text: string;
  try {
    text = await register.metrics();
  } catch {
    sendProblem(response, 'internal_error');
    return;
  }
  response.writeHead(200, {
    'content-type': register.contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(request.method === 'HEAD' ? undefined : text);
}

/** A bound address as a URL: `http://0.0.0.0:9180`, `http://[::1]:9180`. */
export function formatAddress({ address, family, port }: AddressInfo): string {
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

/**
 * Serves this process's Prometheus metrics on a port of its own, apart from
 * the service's public port: request latencies, authentication outcomes and
 * cache hits are for the operator's scraper, never for the internet. Plain
 * `node:http` rather than a second Nest app: one route, no guard, no body,
 * nothing of the public app's pipeline to share. Resolves once it listens.
 */
export async function startMetricsServer(host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    void answer(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: formatAddress(server.address() as AddressInfo),
    close: () =>
      new Promise<void>((resolve, reject) => {
        // A scrape that finishes after closing began would otherwise keep its
        // connection open until the scraper drops it.
        const sweep = setInterval(() => server.closeIdleConnections(), 100).unref();
        server.close((error) => {
          clearInterval(sweep);
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
