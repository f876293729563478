import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MirroredDenylist } from '@svt/shared/data-access-sessions';
import type { MeteredService } from '@svt/shared/testing';
import { readTestEnvironment } from '@svt/shared/testing';
import { residentMiB } from '../processes';
import { formatSize, formatValue, judgeFlat } from './bend';
import { openDenylistStore } from './denylist-store';
import { median } from '../load';
import { loadGateway, warmupSeconds } from './gateway-load';
import type { GatewayLoad } from './gateway-load';
import type { ScaleRig } from './scale-rig';
import type { ScalePoint, ScaleProgress, ScaleSeries, ScaleSettings } from './scale-types';

/** Denials written at once: the adapter's calls queue on one connection anyway. */
const SEED_BATCH = 1_000;

/** The seeded denials outlive the run: each stands for a family revoked a moment ago. */
const DENIAL_LIFETIME_MS = 60 * 60 * 1000;

/** Rounds of Bearer and no-credential load per size, taking turns. */
const ROUNDS = 5;

const CONNECTIONS = 20;

const roundsOf = (settings: ScaleSettings): number => (settings.smoke ? 1 : ROUNDS);

/** The three services, each of which mirrors the revocation list in memory. */
const SERVICES = ['gateway', 'cart', 'auth'] as const;
type ServiceName = (typeof SERVICES)[number];

/** What loading the list into a `MirroredDenylist` cost. */
interface ListLoad {
  readonly loadMs: number;
  /** The heap it keeps, after a full collection before and after. */
  readonly heapMiB: number;
}

interface Measured {
  readonly loadMs: number;
  readonly heapMiB: number;
  readonly readyMs: Readonly<Record<ServiceName, number>>;
  readonly rssMiB: Readonly<Record<ServiceName, number | undefined>>;
  readonly rps: number;
  /** Bearer req/s as a percentage of the no-credential route's, median of the rounds. */
  readonly ofCeiling: number;
  readonly cpuMicros: number | undefined;
  readonly errors: number;
}

/**
 * The revocation list at more and more live denials, on the rig's backend:
 * seeded through the services' own adapter (`SqliteDenylist` on the file
 * they share, or `RedisDenylist`), then a fresh process of each service
 * started on it, as after a deploy. Measured per size: how long loading the
 * list into memory takes (the `MirroredDenylist` every service starts, timed
 * in this process on the same store), each process's time to ready and RSS,
 * and Bearer req/s through the fresh gateway, whose lookup is a Map's.
 */
export async function measureDenylist(
  rig: ScaleRig,
  settings: ScaleSettings,
  progress: ScaleProgress,
): Promise<ScaleSeries> {
  const backend = rig.system.backend;
  const redisUrl = readTestEnvironment().redisUrl;
  const store = await openDenylistStore(rig.system, redisUrl, { forSeeding: true });
  const denylist = store.denylist;
  const timeLoad = async (): Promise<ListLoad> => {
    const source = await openDenylistStore(rig.system, redisUrl, { forSeeding: false });
    try {
      const heapBefore = heapUsedAfterGc();
      const started = performance.now();
      const mirror = await MirroredDenylist.start(source.denylist);
      const loadMs = performance.now() - started;
      const heapMiB = (heapUsedAfterGc() - heapBefore) / 2 ** 20;
      await mirror.close();
      return { loadMs, heapMiB };
    } finally {
      await source.close();
    }
  };
  const seedTimes: string[] = [];
  try {
    progress(`denials (${backend}): 0 live denials, the baseline`);
    const baseline = await measureAt(rig, timeLoad, settings);
    const points: ScalePoint[] = [];
    let seeded = 0;
    for (const size of settings.denials) {
      progress(
        `denials (${backend}): seeding ${formatSize(size - seeded)} denials through ${store.adapter}`,
      );
      const started = performance.now();
      const until = Date.now() + DENIAL_LIFETIME_MS;
      while (seeded < size) {
        const batch = Math.min(SEED_BATCH, size - seeded);
        await Promise.all(Array.from({ length: batch }, () => denylist.deny(randomUUID(), until)));
        seeded += batch;
      }
      const seconds = (performance.now() - started) / 1000;
      seedTimes.push(`${formatSize(size)} in ${seconds.toFixed(1)} s`);
      progress(`denials (${backend}): ${formatSize(size)} live denials, fresh processes`);
      const at = await measureAt(rig, timeLoad, settings);
      points.push({
        x: size,
        values: {
          loadMs: at.loadMs,
          gatewayReadyMs: at.readyMs.gateway,
          gatewayRssMiB: at.rssMiB.gateway,
          cartRssMiB: at.rssMiB.cart,
          authRssMiB: at.rssMiB.auth,
          heapMiB: at.heapMiB - baseline.heapMiB,
          rps: at.rps,
          ofCeiling: at.ofCeiling,
          cpuMicros: at.cpuMicros,
          errors: at.errors,
        },
      });
    }
    return {
      id: backend === 'embedded' ? 'denylist-size' : 'denylist-size-redis',
      title: 'Revocation list, by live denials',
      backend,
      xLabel: 'live denials',
      columns: [
        { key: 'loadMs', label: 'load at start', unit: 'ms' },
        { key: 'gatewayReadyMs', label: 'gateway start → ready', unit: 'ms' },
        { key: 'gatewayRssMiB', label: 'gateway RSS', unit: 'MiB' },
        { key: 'cartRssMiB', label: 'cart RSS', unit: 'MiB' },
        { key: 'authRssMiB', label: 'auth RSS', unit: 'MiB' },
        { key: 'heapMiB', label: 'the list in a process', unit: 'MiB of heap' },
        { key: 'rps', label: 'Bearer req/s', unit: 'req/s' },
        { key: 'ofCeiling', label: "Bearer, of the gateway's ceiling", unit: '%' },
        { key: 'cpuMicros', label: 'gateway CPU per request', unit: 'µs' },
        { key: 'errors', label: 'errors', unit: 'requests' },
      ],
      points,
      bend: denylistBend(points, baseline),
      notes: [
        `Seeded through ${store.adapter}.deny (${backend === 'embedded' ? 'one transaction each, ' : ''}${SEED_BATCH} in flight${backend === 'embedded' ? ', synchronous=NORMAL on the seeding connection only' : ''}), each denial a random family id live for an hour: ${seedTimes.join(', ')}.`,
        `At 0 denials: load ${formatValue(baseline.loadMs)} ms; start → ready gateway ${formatValue(baseline.readyMs.gateway)} ms, cart ${formatValue(baseline.readyMs.cart)} ms, auth ${formatValue(baseline.readyMs.auth)} ms; RSS gateway ${formatValue(baseline.rssMiB.gateway)} MiB, cart ${formatValue(baseline.rssMiB.cart)} MiB, auth ${formatValue(baseline.rssMiB.auth)} MiB; ${formatValue(baseline.rps)} Bearer req/s, ${formatValue(baseline.ofCeiling)} % of the ceiling, at ${formatValue(baseline.cpuMicros)} µs of gateway CPU per request.`,
        `"load at start" is \`MirroredDenylist.start\` over ${store.adapter} on the services' store, timed in the bench process: what each service runs at start before it is ready (follow the denials, read those in force, fill a Map). The services log no line for it; their start → ready time is shown beside it. "The list in a process" is the heap that mirror keeps there (heap used after a full collection, with it against without it, less the same at 0 denials): a process's RSS moves by tens of MiB with its collector's timing, so the RSS columns only bound it.`,
        `Each size starts a fresh gateway, then a fresh cart and auth side by side, on the list (after the previous ones stopped); the gateway forwards to the stand-in upstream and takes Bearer load and, in turns with it, load on a route that needs no credential (its ceiling: ${roundsOf(settings)} rounds of ${formatValue(settings.loadSeconds / roundsOf(settings))} s each, medians), after which each process's RSS is read. Targets: 100 k denials load in < 1 s and cost < 50 MiB per process; req/s flat.`,
      ],
    };
  } finally {
    await store.close();
  }
}

/** One size: the list's load time in this process, then fresh services on it. */
async function measureAt(
  rig: ScaleRig,
  timeLoad: () => Promise<ListLoad>,
  settings: ScaleSettings,
): Promise<Measured> {
  const { loadMs, heapMiB } = await timeLoad();
  const readyMs = {} as Record<ServiceName, number>;
  const processes = {} as Record<ServiceName, MeteredService>;
  try {
    const start = async (service: ServiceName): Promise<void> => {
      const started = performance.now();
      processes[service] =
        service === 'gateway' ? await rig.startGateway() : await rig.system.startReplica(service);
      readyMs[service] = performance.now() - started;
    };
    // The gateway alone, whose start is compared across sizes; the others side by side.
    await start('gateway');
    await Promise.all([start('cart'), start('auth')]);
    const gateway = processes.gateway;
    const bearer = { connections: CONNECTIONS, token: rig.accessToken };
    const ceiling = { connections: CONNECTIONS, token: undefined };
    const warmup = warmupSeconds(settings.loadSeconds) / 2;
    await loadGateway(gateway, { ...ceiling, seconds: warmup });
    await loadGateway(gateway, { ...bearer, seconds: warmup });
    // Bearer and the ceiling take turns: their ratio, round by round, is
    // what the other work on the shared machine moves least.
    const rounds = roundsOf(settings);
    const seconds = settings.loadSeconds / rounds;
    const loads: GatewayLoad[] = [];
    const shares: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const load = await loadGateway(gateway, { ...bearer, seconds });
      const top = await loadGateway(gateway, { ...ceiling, seconds });
      loads.push(load);
      shares.push((100 * load.requestsPerSecond) / top.requestsPerSecond);
    }
    const rssMiB = {} as Record<ServiceName, number | undefined>;
    for (const service of SERVICES) rssMiB[service] = await residentMiB(processes[service].pid);
    return {
      loadMs,
      heapMiB,
      readyMs,
      rssMiB,
      rps: median(loads.map((l) => l.requestsPerSecond)),
      ofCeiling: median(shares),
      cpuMicros: median(loads.map((l) => l.cpuMicrosPerRequest ?? NaN)),
      errors: loads.reduce((sum, l) => sum + l.errors, 0),
    };
  } finally {
    await Promise.all(Object.values(processes).map((p) => p.terminate()));
  }
}

function denylistBend(points: readonly ScalePoint[], baseline: Measured): string {
  const last = points[points.length - 1];
  if (!last) return 'no data';
  // The gateway's own CPU per request is what a lookup would add to; req/s
  // also moves with whatever else the shared machine runs meanwhile.
  const cpu = judgeFlat(points, 'cpuMicros', "the gateway's CPU per request", 0.15, 'up');
  const share = judgeFlat(points, 'ofCeiling', "Bearer's share of the ceiling", 0.1, 'down');
  const rps = judgeFlat(points, 'rps', 'req/s', 0.1, 'down');
  return [
    `${formatSize(last.x)} denials load in ${formatValue(last.values['loadMs'])} ms and take ${formatValue(last.values['heapMiB'])} MiB of heap in each process (RSS at ${formatSize(last.x)} against 0: ${SERVICES.map((s) => `${s} ${formatValue(last.values[`${s}RssMiB`])} against ${formatValue(baseline.rssMiB[s])} MiB`).join(', ')})`,
    share.text,
    cpu.text,
    rps.text,
  ].join('; ');
}

/**
 * The heap this process uses after a full collection. The collector is
 * exposed once, at run time, for this bench only.
 */
function heapUsedAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  return process.memoryUsage().heapUsed;
}
