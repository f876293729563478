import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { MirroredDenylist, SqliteDenylist } from '@svt/shared/data-access-sessions';
import { SqliteClient } from '@svt/shared/data-access-sql';
import type { MeteredService } from '@svt/shared/testing';
import { residentMiB } from '../processes';
import { formatSize, formatValue, judgeFlat } from './bend';
import { loadGateway, warmupSeconds } from './gateway-load';
import type { ScaleRig } from './scale-rig';
import type { ScalePoint, ScaleProgress, ScaleSeries, ScaleSettings } from './scale-types';

/** Denials written at once: the adapter's calls queue on one connection anyway. */
const SEED_BATCH = 1_000;

/** The seeded denials outlive the run: each stands for a family revoked a moment ago. */
const DENIAL_LIFETIME_MS = 60 * 60 * 1000;

/** The three services, each of which mirrors the revocation list in memory. */
const SERVICES = ['gateway', 'cart', 'auth'] as const;
type ServiceName = (typeof SERVICES)[number];

interface Measured {
  readonly loadMs: number;
  readonly readyMs: Readonly<Record<ServiceName, number>>;
  readonly rssMiB: Readonly<Record<ServiceName, number | undefined>>;
  readonly rps: number;
  readonly cpuMicros: number | undefined;
  readonly errors: number;
}

/**
 * The revocation list at more and more live denials, on the embedded
 * default: seeded through `SqliteDenylist` into the file the services share,
 * then a fresh process of each service started on it, as after a deploy.
 * Measured per size: how long loading the list into memory takes (the
 * `MirroredDenylist` every service starts, timed in this process on the same
 * file), each process's time to ready and RSS, and Bearer req/s through the
 * fresh gateway, whose lookup is a Map's.
 */
export async function measureDenylist(
  rig: ScaleRig,
  settings: ScaleSettings,
  progress: ScaleProgress,
): Promise<ScaleSeries> {
  const file = join(rig.system.dataDir, 'sessions.sqlite');
  const sql = new SqliteClient(file);
  // Per connection: only the seeding skips the fsync per commit, not the services.
  await sql.execute('PRAGMA synchronous = NORMAL');
  const denylist = await SqliteDenylist.on(sql);
  const seedTimes: string[] = [];
  try {
    progress('denials: 0 live denials, the baseline');
    const baseline = await measureAt(rig, file, settings);
    const points: ScalePoint[] = [];
    let seeded = 0;
    for (const size of settings.denials) {
      progress(`denials: seeding ${formatSize(size - seeded)} denials through SqliteDenylist`);
      const started = performance.now();
      const until = Date.now() + DENIAL_LIFETIME_MS;
      while (seeded < size) {
        const batch = Math.min(SEED_BATCH, size - seeded);
        await Promise.all(Array.from({ length: batch }, () => denylist.deny(randomUUID(), until)));
        seeded += batch;
      }
      const seconds = (performance.now() - started) / 1000;
      seedTimes.push(`${formatSize(size)} in ${seconds.toFixed(1)} s`);
      progress(`denials: ${formatSize(size)} live denials, fresh processes`);
      const at = await measureAt(rig, file, settings);
      const added = Math.max(
        ...SERVICES.map((s) => (at.rssMiB[s] ?? NaN) - (baseline.rssMiB[s] ?? NaN)),
      );
      points.push({
        x: size,
        values: {
          loadMs: at.loadMs,
          gatewayReadyMs: at.readyMs.gateway,
          gatewayRssMiB: at.rssMiB.gateway,
          cartRssMiB: at.rssMiB.cart,
          authRssMiB: at.rssMiB.auth,
          addedMiB: added,
          rps: at.rps,
          cpuMicros: at.cpuMicros,
          errors: at.errors,
        },
      });
    }
    return {
      id: 'denylist-size',
      title: 'Revocation list, by live denials',
      backend: 'embedded',
      xLabel: 'live denials',
      columns: [
        { key: 'loadMs', label: 'load at start', unit: 'ms' },
        { key: 'gatewayReadyMs', label: 'gateway start → ready', unit: 'ms' },
        { key: 'gatewayRssMiB', label: 'gateway RSS', unit: 'MiB' },
        { key: 'cartRssMiB', label: 'cart RSS', unit: 'MiB' },
        { key: 'authRssMiB', label: 'auth RSS', unit: 'MiB' },
        { key: 'addedMiB', label: 'most RSS added over 0 denials', unit: 'MiB' },
        { key: 'rps', label: 'Bearer req/s', unit: 'req/s' },
        { key: 'cpuMicros', label: 'gateway CPU per request', unit: 'µs' },
        { key: 'errors', label: 'errors', unit: 'requests' },
      ],
      points,
      bend: denylistBend(points),
      notes: [
        `Seeded through SqliteDenylist.deny (one transaction each, ${SEED_BATCH} in flight, synchronous=NORMAL on the seeding connection only), each denial a random family id live for an hour: ${seedTimes.join(', ')}.`,
        `At 0 denials: load ${formatValue(baseline.loadMs)} ms; start → ready gateway ${formatValue(baseline.readyMs.gateway)} ms, cart ${formatValue(baseline.readyMs.cart)} ms, auth ${formatValue(baseline.readyMs.auth)} ms; RSS gateway ${formatValue(baseline.rssMiB.gateway)} MiB, cart ${formatValue(baseline.rssMiB.cart)} MiB, auth ${formatValue(baseline.rssMiB.auth)} MiB; ${formatValue(baseline.rps)} Bearer req/s at ${formatValue(baseline.cpuMicros)} µs of gateway CPU per request.`,
        '"load at start" is `MirroredDenylist.start` over `SqliteDenylist` on the services\' file, timed in the bench process: what each service runs at start before it is ready (follow the event log, read the denials in force, fill a Map). The services log no line for it; their start → ready time is shown beside it.',
        "Each size starts a fresh gateway, then a fresh cart and auth side by side, on the list (after the previous ones stopped); the gateway forwards to the stand-in upstream and takes Bearer load for the req/s, after which each process's RSS is read. Targets: 100 k denials load in < 1 s and cost < 50 MiB per process; req/s flat.",
        'PostgreSQL + Redis: not measured here (RedisDenylist loads the same Map from a hash).',
      ],
    };
  } finally {
    await denylist.close();
    await sql.close();
  }
}

/** One size: the list's load time in this process, then fresh services on it. */
async function measureAt(rig: ScaleRig, file: string, settings: ScaleSettings): Promise<Measured> {
  const loadMs = await timeLoad(file);
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
    const options = { connections: 20, token: rig.accessToken };
    await loadGateway(processes.gateway, {
      ...options,
      seconds: warmupSeconds(settings.loadSeconds),
    });
    const load = await loadGateway(processes.gateway, {
      ...options,
      seconds: settings.loadSeconds,
    });
    const rssMiB = {} as Record<ServiceName, number | undefined>;
    for (const service of SERVICES) rssMiB[service] = await residentMiB(processes[service].pid);
    return {
      loadMs,
      readyMs,
      rssMiB,
      rps: load.requestsPerSecond,
      cpuMicros: load.cpuMicrosPerRequest,
      errors: load.errors,
    };
  } finally {
    await Promise.all(Object.values(processes).map((p) => p.terminate()));
  }
}

/** How long a `MirroredDenylist` takes to start on the file: follow, then load what is in force. */
async function timeLoad(file: string): Promise<number> {
  const source = await SqliteDenylist.open(file);
  try {
    const started = performance.now();
    const mirror = await MirroredDenylist.start(source);
    const elapsed = performance.now() - started;
    await mirror.close();
    return elapsed;
  } finally {
    await source.close();
  }
}

function denylistBend(points: readonly ScalePoint[]): string {
  const last = points[points.length - 1];
  if (!last) return 'no data';
  // The gateway's own CPU per request is what a lookup would add to; req/s
  // also moves with whatever else the shared machine runs meanwhile.
  const cpu = judgeFlat(points, 'cpuMicros', "the gateway's CPU per request", 0.15);
  const rps = judgeFlat(points, 'rps', 'req/s', 0.1);
  return [
    `${formatSize(last.x)} denials load in ${formatValue(last.values['loadMs'])} ms and add at most ${formatValue(last.values['addedMiB'])} MiB to a process`,
    cpu.text,
    rps.text,
  ].join('; ');
}
