import { formatSize, formatValue } from './bend';
import { loadGateway, warmupSeconds } from './gateway-load';
import type { ScaleRig } from './scale-rig';
import { readCounter } from './scale-rig';
import type { ScalePoint, ScaleProgress, ScaleSeries, ScaleSettings } from './scale-types';

/** `VerifiedTokenCache`'s default size, which the gateway's Bearer cache keeps. */
export const TOKEN_CACHE_ENTRIES = 10_000;

/** Connections of the cache series: the main bench's. */
const CONNECTIONS = 20;

const CACHE_LOOKUPS = 'authn_token_cache_total';

/** A rate the gateway reaches when every request is a verification, on this machine class. */
const MISSES_PER_SECOND = 1_000;

/**
 * Bearer requests through a gateway of its own with N distinct access tokens in
 * use, each request carrying one drawn at random: the hit rate of the
 * gateway's verified-token cache (from its `/metrics`, over the measured
 * seconds only) and the req/s, below the cache's size and above it.
 */
export async function measureTokenCache(
  rig: ScaleRig,
  settings: ScaleSettings,
  progress: ScaleProgress,
): Promise<ScaleSeries> {
  const most = Math.max(...settings.distinctTokens);
  progress(`token cache: signing ${formatSize(most)} access tokens`);
  const started = performance.now();
  const pool = rig.minter.mint(most);
  const mintSeconds = (performance.now() - started) / 1000;
  const points: ScalePoint[] = [];
  // A gateway of its own: the one of the connections series may still be
  // answering the backlog of its largest size.
  const gateway = await rig.startGateway();
  try {
    for (const distinct of settings.distinctTokens) {
      progress(
        `token cache: ${formatSize(distinct)} distinct tokens in use (${settings.loadSeconds} s)`,
      );
      // The warm-up sends the tokens in turn, so that the cache holds as many
      // of them as it can before the measured seconds draw them at random.
      let next = 0;
      await loadGateway(gateway, {
        connections: CONNECTIONS,
        token: () => pool[next++ % distinct] ?? '',
        seconds: fillSeconds(distinct, settings),
      });
      const token = (): string => pool[Math.floor(Math.random() * distinct)] ?? '';
      const lookups = async (result: 'hit' | 'miss'): Promise<number> =>
        readCounter(gateway, CACHE_LOOKUPS, { cache: 'bearer', result });
      const [hitsBefore, missesBefore] = [await lookups('hit'), await lookups('miss')];
      const load = await loadGateway(gateway, {
        connections: CONNECTIONS,
        token,
        seconds: settings.loadSeconds,
      });
      const hits = (await lookups('hit')) - hitsBefore;
      const misses = (await lookups('miss')) - missesBefore;
      points.push({
        x: distinct,
        values: {
          hitRate: hits + misses === 0 ? undefined : (100 * hits) / (hits + misses),
          rps: load.requestsPerSecond,
          p99Ms: load.p99Ms,
          cpuMicros: load.cpuMicrosPerRequest,
          errors: load.errors,
        },
      });
    }
  } finally {
    await gateway.terminate();
  }
  return {
    id: 'token-cache',
    title: 'Verified-token cache, by distinct access tokens in use',
    backend: 'embedded',
    xLabel: 'distinct access tokens in use',
    columns: [
      { key: 'hitRate', label: 'cache hit rate', unit: '%' },
      { key: 'rps', label: 'Bearer req/s', unit: 'req/s' },
      { key: 'p99Ms', label: 'p99', unit: 'ms' },
      { key: 'cpuMicros', label: 'gateway CPU per request', unit: 'µs' },
      { key: 'errors', label: 'errors', unit: 'requests' },
    ],
    points,
    bend: tokenCacheBend(points, pool[0]?.length ?? 0),
    notes: [
      `The gateway's Bearer cache holds ${formatSize(TOKEN_CACHE_ENTRIES)} verified tokens (\`TOKEN_CACHE_SIZE\`'s default, which the run keeps); when full, the oldest insertion goes.`,
      `${formatSize(most)} tokens, each of its own user and family, signed in ${mintSeconds.toFixed(1)} s by the bench with AUTH's claims and a key of its own that the stand-in publishes beside AUTH's (a login each would cost an argon2 hash). Each request carries one drawn at random from the first N.`,
      `Each size: a warm-up sending the tokens in turn until the cache holds as many as it can (${settings.distinctTokens.map((n) => `${fillSeconds(n, settings)} s`).join(', ')}), then ${settings.loadSeconds} s measured at ${CONNECTIONS} connections; the hit rate is \`authn_token_cache_total{cache="bearer"}\` from the gateway's /metrics over the measured seconds.`,
      'A miss costs an ES256 verification; with random draws from N tokens a full cache of C entries hits about C / N of the time.',
    ],
  };
}

/**
 * Seconds of warm-up for `distinct` tokens: enough to send each of them, or
 * as many as the cache holds, once, at a rate that misses alone reach.
 */
function fillSeconds(distinct: number, settings: ScaleSettings): number {
  const toFill = Math.min(distinct, TOKEN_CACHE_ENTRIES);
  return Math.max(warmupSeconds(settings.loadSeconds), Math.ceil(toFill / MISSES_PER_SECOND) + 1);
}

/** The hit rate past the cache's size, and whether that calls for a setting. */
function tokenCacheBend(points: readonly ScalePoint[], tokenBytes: number): string {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last || first === last) return 'no data';
  const share = (last.values['rps'] ?? 0) / (first.values['rps'] ?? NaN);
  const cpu = (last.values['cpuMicros'] ?? NaN) / (first.values['cpuMicros'] ?? NaN);
  const over = points.find((p) => p.x > TOKEN_CACHE_ENTRIES);
  // The gateway's own CPU per request decides: req/s also moves with the
  // other work on a shared machine.
  const verdict =
    over === undefined
      ? "no size above the cache's was measured"
      : cpu > 1.25
        ? `beyond ${formatSize(TOKEN_CACHE_ENTRIES)} tokens in use the gateway pays a verification on most requests: raise \`TOKEN_CACHE_SIZE\` for deployments with more concurrent users (an entry holds the token, ${tokenBytes} bytes here, and its identity: ${formatSize(TOKEN_CACHE_ENTRIES)} entries hold ${formatValue((TOKEN_CACHE_ENTRIES * tokenBytes) / 2 ** 20)} MiB of token strings alone)`
        : `beyond ${formatSize(TOKEN_CACHE_ENTRIES)} tokens in use misses add less than 25 % to the gateway's CPU per request: a larger \`TOKEN_CACHE_SIZE\` would buy little`;
  return `hit rate ${formatValue(first.values['hitRate'])} % at ${formatSize(first.x)} tokens, ${formatValue(last.values['hitRate'])} % at ${formatSize(last.x)}; req/s ${(share * 100).toFixed(0)} % and CPU per request ×${formatValue(cpu)} of ${formatSize(first.x)}'s; ${verdict}`;
}
