import { readFileSync } from 'node:fs';
import { formatSize, formatValue } from './bend';
import { loadGateway, warmupSeconds } from './gateway-load';
import type { ScaleRig } from './scale-rig';
import type { ScalePoint, ScaleProgress, ScaleSeries, ScaleSettings } from './scale-types';

/**
 * Bearer requests through one gateway at more and more keep-alive
 * connections: its req/s, p99 and own CPU per request, warmed before each
 * size.
 */
export async function measureConnections(
  rig: ScaleRig,
  settings: ScaleSettings,
  progress: ScaleProgress,
): Promise<ScaleSeries> {
  const limit = Number(openFileLimit());
  const most = Math.max(...settings.connections);
  if (limit < 2 * most + 1_000) {
    progress(
      `connections: ulimit -n is ${limit}, too low for ${formatSize(most)} connections (each is a socket here and one at the gateway): raise it, e.g. ulimit -n ${2 * most + 4_096}`,
    );
  }
  const gateway = rig.gateway;
  const points: ScalePoint[] = [];
  for (const connections of settings.connections) {
    progress(
      `connections: ${formatSize(connections)} keep-alive connections (${settings.loadSeconds} s)`,
    );
    const options = { connections, token: rig.accessToken };
    await loadGateway(gateway, { ...options, seconds: warmupSeconds(settings.loadSeconds) });
    const load = await loadGateway(gateway, { ...options, seconds: settings.loadSeconds });
    points.push({
      x: connections,
      values: {
        rps: load.requestsPerSecond,
        p99Ms: load.p99Ms,
        cpuMicros: load.cpuMicrosPerRequest,
        errors: load.errors,
      },
    });
  }
  return {
    id: 'gateway-connections',
    title: 'Gateway, Bearer, by keep-alive connections',
    backend: 'embedded',
    xLabel: 'keep-alive connections',
    columns: [
      { key: 'rps', label: 'req/s', unit: 'req/s' },
      { key: 'p99Ms', label: 'p99', unit: 'ms' },
      { key: 'cpuMicros', label: 'gateway CPU per request', unit: 'µs' },
      { key: 'errors', label: 'errors', unit: 'requests' },
    ],
    points,
    bend: connectionsBend(points),
    notes: [
      `autocannon on the same machine sends \`GET /api/cart\` with one Bearer token; the gateway forwards it to the stand-in upstream with an identity token. Each size: ${warmupSeconds(settings.loadSeconds)} s of warm-up, then ${settings.loadSeconds} s measured.`,
      `The bench process's open-file limit (ulimit -n) was ${openFileLimit()}: each connection is a socket at the load generator and one at the gateway.`,
      "CPU per request is the gateway process's own user + system time over the measured seconds (from /proc), divided by the requests answered.",
    ],
  };
}

/** Where more connections stop buying req/s: the first size past the peak below 90 % of it. */
function connectionsBend(points: readonly ScalePoint[]): string {
  const rps = (p: ScalePoint): number => p.values['rps'] ?? 0;
  const peak = points.reduce<ScalePoint | undefined>(
    (best, p) => (best === undefined || rps(p) > rps(best) ? p : best),
    undefined,
  );
  const last = points[points.length - 1];
  if (!peak || !last) return 'no data';
  const bend = points.find((p) => p.x > peak.x && rps(p) < 0.9 * rps(peak));
  const at = (p: ScalePoint): string =>
    `${formatSize(p.x)}: ${((100 * rps(p)) / rps(peak)).toFixed(0)} % of the peak, p99 ${formatValue(p.values['p99Ms'])} ms, ${formatValue(p.values['cpuMicros'])} µs of gateway CPU per request${p.values['errors'] ? `, ${p.values['errors']} errors (timeouts)` : ''}`;
  const peakText = `req/s peaks at ${formatSize(peak.x)} connections (${formatValue(rps(peak))} req/s, p99 ${formatValue(peak.values['p99Ms'])} ms)`;
  if (!bend) return `${peakText} and stays within 90 % of it up to ${formatSize(last.x)}`;
  return [peakText, `bends at ${at(bend)}`, ...(bend === last ? [] : [`at ${at(last)}`])].join(
    '; ',
  );
}

/** The soft limit on open files of this process, from /proc (Linux); 'unknown' elsewhere. */
export function openFileLimit(): string {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    return /^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
