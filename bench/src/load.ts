import autocannon from 'autocannon';
import { request } from 'undici';

/** What one load run measured. */
export interface LoadResult {
  /** Mean requests per second over the run (2xx and non-2xx alike). */
  readonly requestsPerSecond: number;
  /** Latency percentiles, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Requests answered with a status other than the expected one, plus socket errors and timeouts. */
  readonly errors: number;
  readonly requests: number;
}

/** One request as autocannon sends it. */
export interface LoadRequest {
  readonly method?: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Fixed total rate (req/s) instead of as fast as possible. */
  readonly overallRate?: number;
  readonly expectStatus?: number;
  /**
   * Per-connection request sequence state, for flows where each answer feeds
   * the next request (refresh-token rotation).
   */
  readonly chain?: RequestChain;
  /**
   * Headers made afresh for every request, beside the fixed ones (a DPoP
   * proof, which the server accepts once).
   */
  readonly headersPerRequest?: () => Readonly<Record<string, string>>;
}

/** An answer's headers as autocannon hands them over: a repeated one as an array. */
export type AnswerHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Requests made from earlier answers (refresh-token rotation, a DBSC
 * challenge): `next()` takes what the next request sends beside the fixed
 * parts, `onAnswer` gives back what an answer returned. autocannon resets a
 * connection's own context after each pass over its requests, so the state
 * lives here, shared by the connections.
 */
export interface RequestChain {
  next(): { readonly body?: string; readonly headers?: Readonly<Record<string, string>> };
  onAnswer(status: number, body: string, headers: AnswerHeaders): void;
}

/** Runs autocannon against `url` and reduces its result to what the report shows. */
export async function runLoad(load: LoadRequest, options: LoadOptions): Promise<LoadResult> {
  const expected = options.expectStatus ?? 200;
  const chain = options.chain;
  const perRequest = options.headersPerRequest;
  const result = await autocannon({
    url: chain || perRequest ? options.url : `${options.url}${load.path}`,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    method: load.method ?? 'GET',
    headers: { ...load.headers },
    body: load.body,
    // Only a rotation chain needs autocannon to read bodies.
    ...(chain
      ? {
          requests: [
            {
              method: load.method ?? 'POST',
              path: load.path,
              setupRequest: (req: autocannon.Request) => {
                const next = chain.next();
                return {
                  ...req,
                  ...(next.body === undefined ? {} : { body: next.body }),
                  headers: { ...req.headers, ...next.headers },
                };
              },
              onResponse: (
                status: number,
                body: string,
                _context: unknown,
                headers: AnswerHeaders | undefined,
              ) => chain.onAnswer(status, body, headers ?? {}),
            },
          ],
        }
      : perRequest
        ? {
            requests: [
              {
                method: load.method ?? 'GET',
                path: load.path,
                setupRequest: (req: autocannon.Request) => ({
                  ...req,
                  headers: { ...req.headers, ...perRequest() },
                }),
              },
            ],
          }
        : {}),
  });
  const unexpected = Object.entries(result.statusCodeStats ?? {}).reduce(
    (sum, [status, stats]) => (Number(status) === expected ? sum : sum + (stats.count ?? 0)),
    0,
  );
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: unexpected + result.errors + result.timeouts,
    requests: result.requests.total,
  };
}

/**
 * Latency of one route sampled while something else loads the service: one
 * request at a time, every `intervalMs`, until `signal` aborts.
 */
export async function probeLatency(
  url: string,
  intervalMs: number,
  signal: AbortSignal,
): Promise<{ p50Ms: number; p99Ms: number; samples: number; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  while (!signal.aborted) {
    const started = performance.now();
    try {
      const response = await request(url, { headersTimeout: 10_000 });
      await response.body.dump();
      if (response.statusCode === 200) latencies.push(performance.now() - started);
      else failures += 1;
    } catch {
      failures += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return {
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    samples: latencies.length,
    failures,
  };
}

/** The nearest-rank percentile of `values` (0 for none). */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** The median of `values` (0 for none). */
export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}
