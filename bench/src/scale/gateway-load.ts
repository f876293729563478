import type { Service } from '@svt/shared/testing';
import { runLoad } from '../load';
import { cpuSeconds } from '../processes';

/** What one load of Bearer requests through a gateway measured. */
export interface GatewayLoad {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly requests: number;
  /** The gateway's own CPU time per request, µs; undefined off Linux. */
  readonly cpuMicrosPerRequest: number | undefined;
}

export interface GatewayLoadOptions {
  readonly connections: number;
  readonly seconds: number;
  /**
   * The access token of every request, or a function choosing one per
   * request; none: a route that needs no credential, the gateway's ceiling.
   */
  readonly token: string | (() => string) | undefined;
}

/** Forwarded to AUTH, which the stand-in plays: a route that needs no credential. */
const UNAUTHENTICATED_PATH = '/api/auth/bench';

/**
 * `GET /api/cart` with a Bearer token through `gateway` (or a route that
 * needs none, without a token), as fast as it answers.
 */
export async function loadGateway(
  gateway: Service,
  options: GatewayLoadOptions,
): Promise<GatewayLoad> {
  const token = options.token;
  const cpuBefore = await cpuSeconds(gateway.pid);
  const result = await runLoad(
    {
      path: token === undefined ? UNAUTHENTICATED_PATH : '/api/cart',
      headers: typeof token === 'string' ? { authorization: `Bearer ${token}` } : {},
    },
    {
      url: gateway.url,
      connections: options.connections,
      durationSeconds: options.seconds,
      ...(typeof token === 'function'
        ? { headersPerRequest: () => ({ authorization: `Bearer ${token()}` }) }
        : {}),
    },
  );
  const cpuAfter = await cpuSeconds(gateway.pid);
  return {
    requestsPerSecond: result.requestsPerSecond,
    p99Ms: result.p99Ms,
    errors: result.errors,
    requests: result.requests,
    cpuMicrosPerRequest:
      cpuBefore === undefined || cpuAfter === undefined || result.requests === 0
        ? undefined
        : ((cpuAfter - cpuBefore) * 1e6) / result.requests,
  };
}

/** Seconds of unmeasured load before a point: connections open, code warm, caches filled. */
export function warmupSeconds(loadSeconds: number): number {
  return Math.max(0.5, Math.min(5, loadSeconds / 2));
}
