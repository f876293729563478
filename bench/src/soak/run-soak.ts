import { loadavg } from 'node:os';
import type { Backend, ServiceName, SystemUnderTest } from '@svt/shared/testing';
import { startSystem } from '@svt/shared/testing';
import { percentile } from '../load';
import { cpuSeconds, residentMiB } from '../processes';
import { describeMachine } from '../run-bench';
import type { Progress } from '../run-bench';
import type { Machine, TargetResult } from '../scenarios';
import { OpenLoop, Tally } from './open-loop';
import type { SoakSettings } from './settings';
import type { SoakOperation } from './workload';
import { OPERATION_TITLES, OPERATIONS, planMix, Workload } from './workload';

/** One operation's figures over the measured time. */
export interface OperationResult {
  readonly operation: SoakOperation;
  readonly title: string;
  readonly count: number;
  /** Planned and achieved, req/s. */
  readonly plannedPerSecond: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

/** One service's memory and CPU over the measured time. */
export interface ServiceResult {
  readonly service: ServiceName;
  /** RSS when the warm-up ended, MiB. */
  readonly startRssMiB: number;
  /** RSS when the measured time ended and the last requests had answered, MiB. */
  readonly endRssMiB: number;
  /** The highest RSS sampled in between, MiB. */
  readonly peakRssMiB: number;
  /** (end - start) / start. */
  readonly rssGrowth: number;
  /** Cores' worth of CPU it used on average over the measured time (undefined off Linux). */
  readonly cpuCores: number | undefined;
}

/** Failures of one kind: an operation and a reason, e.g. `refresh: 401 invalid_token (expected 200)`. */
export interface FailureKind {
  readonly phase: 'warm-up' | 'measured';
  readonly kind: string;
  readonly count: number;
  readonly example: string;
}

/** Everything a soak run measured. */
export interface SoakReport {
  readonly startedAt: string;
  readonly settings: SoakSettings;
  readonly machine: Machine;
  readonly backend: Backend;
  /** The measured time as it ran, s. */
  readonly measuredSeconds: number;
  readonly operations: readonly OperationResult[];
  readonly total: Omit<OperationResult, 'operation' | 'title'>;
  /** Errors during the warm-up: not in the table, but they count against the target. */
  readonly warmupErrors: number;
  /** Every error: measured, warm-up, and requests left unanswered at the end. */
  readonly errors: number;
  readonly services: readonly ServiceResult[];
  /**
   * The machine's 1-minute load average, sampled with the progress lines:
   * above the number of cores, everything here (services, stores, load
   * generator) waited for CPU, and latency and backlog say more about the
   * machine than about the system.
   */
  readonly loadAverage: { readonly mean: number; readonly max: number };
  /** How late the load generator sent requests against the schedule, ms. */
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** Failures by kind, the warm-up's apart, most frequent first, each with its first answer. */
  readonly failures: readonly FailureKind[];
  readonly targets: readonly TargetResult[];
}

/** The project's targets for a soak. */
export const RSS_GROWTH_LIMIT = 0.1;

const SERVICES: readonly ServiceName[] = ['auth', 'gateway', 'cart'];

/** Pending requests get this long to answer after the last one is due. */
const DRAIN_MS = 20_000;

/**
 * Starts the system (PostgreSQL + Redis when both URLs are set, else the
 * embedded default), registers the pool of users, then runs the mixed
 * workload open-loop: a warm-up, then the measured time. Needs the built
 * services (`npm run build`).
 */
export async function runSoak(settings: SoakSettings, progress: Progress): Promise<SoakReport> {
  const startedAt = new Date().toISOString();
  const system = await startSystem();
  try {
    progress(`${system.backend}: registering ${settings.users} users, each logged in both ways`);
    const workload = await Workload.prepare(system, settings.users);
    return await soak(system, workload, settings, progress, startedAt);
  } finally {
    await system.stop();
  }
}

async function soak(
  system: SystemUnderTest,
  workload: Workload,
  settings: SoakSettings,
  progress: Progress,
  startedAt: string,
): Promise<SoakReport> {
  const pids: Record<ServiceName, number | undefined> = {
    auth: system.auth.pid,
    gateway: system.shop.pid,
    cart: system.cart.pid,
  };
  const readRss = async (): Promise<Record<ServiceName, number | undefined>> => {
    const [auth, gateway, cart] = await Promise.all(SERVICES.map((s) => residentMiB(pids[s])));
    return { auth, gateway, cart };
  };
  const readCpu = async (): Promise<Record<ServiceName, number | undefined>> => {
    const [auth, gateway, cart] = await Promise.all(SERVICES.map((s) => cpuSeconds(pids[s])));
    return { auth, gateway, cart };
  };
  const rssLine = (rss: Record<ServiceName, number | undefined>): string =>
    SERVICES.map((s) => `${s} ${rss[s] === undefined ? '?' : rss[s].toFixed(0)}`).join(', ');

  const mix = planMix(settings.rate);
  const loop = new OpenLoop<SoakOperation>(settings.maxInFlight, (op) => workload.run(op));

  progress(
    `warm-up: ${settings.warmupSeconds} s at ${settings.rate} req/s (not in the figures; RSS "at start" is read when it ends)`,
  );
  const warmup = new Tally(OPERATIONS);
  await loop.run(mix, settings.warmupSeconds, warmup);

  const startRss = await readRss();
  const startCpu = await readCpu();
  progress(
    `warm-up done, ${warmup.count} requests, ${warmup.errors} errors; RSS MiB at start: ${rssLine(startRss)}`,
  );
  const peak: Record<ServiceName, number> = { auth: 0, gateway: 0, cart: 0 };
  const notePeak = (rss: Record<ServiceName, number | undefined>): void => {
    for (const s of SERVICES) peak[s] = Math.max(peak[s], rss[s] ?? 0);
  };
  notePeak(startRss);

  const measured = new Tally(OPERATIONS);
  const measuredStart = performance.now();
  let last = { at: measuredStart, count: 0 };
  const sampler = setInterval(
    () => void readRss().then(notePeak),
    Math.min(5_000, settings.progressSeconds * 1000),
  );
  const loads: number[] = [];
  const reporter = setInterval(() => {
    const load = loadavg()[0] ?? 0;
    loads.push(load);
    void readRss().then((rss) => {
      notePeak(rss);
      const now = performance.now();
      const rate = ((measured.count - last.count) * 1000) / (now - last.at);
      last = { at: now, count: measured.count };
      progress(
        `${formatClock((now - measuredStart) / 1000)} of ${formatClock(settings.durationSeconds)}: ${rate.toFixed(1)} req/s, ${measured.errors + warmup.errors} errors so far, ${loop.pendingRequests} pending; RSS MiB ${rssLine(rss)}; load average ${load.toFixed(1)}`,
      );
    });
  }, settings.progressSeconds * 1000);
  try {
    await loop.run(mix, settings.durationSeconds, measured);
  } finally {
    clearInterval(reporter);
    clearInterval(sampler);
  }
  const measuredSeconds = (performance.now() - measuredStart) / 1000;
  const left = await loop.drain(DRAIN_MS);
  if (left > 0) progress(`${left} requests still pending after ${DRAIN_MS / 1000} s`);
  const endCpu = await readCpu();
  const cpuWindow = (performance.now() - measuredStart) / 1000;
  const endRss = await readRss();
  notePeak(endRss);
  loads.push(loadavg()[0] ?? 0);
  progress(`done; RSS MiB at end: ${rssLine(endRss)}`);

  const operations = mix.map(({ operation, perSecond }): OperationResult => {
    const tally = measured.operations.get(operation) ?? { count: 0, errors: 0, latencies: [] };
    return {
      operation,
      title: OPERATION_TITLES[operation],
      count: tally.count,
      plannedPerSecond: perSecond,
      perSecond: tally.count / measuredSeconds,
      p50Ms: percentile(tally.latencies, 0.5),
      p99Ms: percentile(tally.latencies, 0.99),
      errors: tally.errors,
    };
  });
  const all = measured.latencies();
  const total = {
    count: measured.count,
    plannedPerSecond: settings.rate,
    perSecond: measured.count / measuredSeconds,
    p50Ms: percentile(all, 0.5),
    p99Ms: percentile(all, 0.99),
    errors: measured.errors,
  };
  const services = SERVICES.map((service): ServiceResult => {
    const start = startRss[service] ?? 0;
    const end = endRss[service] ?? 0;
    const cpuStart = startCpu[service];
    const cpuEnd = endCpu[service];
    return {
      service,
      startRssMiB: start,
      endRssMiB: end,
      peakRssMiB: peak[service],
      rssGrowth: start === 0 ? 0 : (end - start) / start,
      cpuCores:
        cpuStart === undefined || cpuEnd === undefined
          ? undefined
          : (cpuEnd - cpuStart) / cpuWindow,
    };
  });
  const errors = measured.errors + warmup.errors + left;
  const growth = Math.max(...services.map((s) => s.rssGrowth));
  const fastest = services.find((s) => s.rssGrowth === growth);
  const unread = services.filter((s) => s.startRssMiB === 0 || s.endRssMiB === 0);
  const report = {
    startedAt,
    settings,
    machine: describeMachine(),
    backend: system.backend,
    measuredSeconds,
    operations,
    total,
    warmupErrors: warmup.errors,
    errors,
    services,
    loadAverage: {
      mean: loads.reduce((sum, load) => sum + load, 0) / loads.length,
      max: Math.max(...loads),
    },
    lagP99Ms: measured.lagPercentile(0.99),
    lagMaxMs: measured.lagPercentile(1),
    failures: [
      ...failureKinds('warm-up', warmup.failures),
      ...failureKinds('measured', measured.failures),
    ],
  };
  const targets: TargetResult[] = [
    {
      target: 'Zero errors',
      measured: `${errors} (${measured.errors} measured, ${warmup.errors} in the warm-up${left > 0 ? `, ${left} unanswered at the end` : ''})`,
      met: errors === 0,
    },
    {
      target: `RSS growth under ${RSS_GROWTH_LIMIT * 100} % over ${formatClock(settings.durationSeconds)}, each service`,
      measured:
        unread.length > 0
          ? `RSS not read for ${unread.map((s) => s.service).join(', ')}`
          : `${formatGrowth(growth)} at most (${fastest?.service ?? '?'})`,
      met: unread.length === 0 && growth < RSS_GROWTH_LIMIT,
    },
  ];
  return { ...report, targets };
}

function failureKinds(
  phase: FailureKind['phase'],
  failures: ReadonlyMap<string, { count: number; example: string }>,
): FailureKind[] {
  return [...failures]
    .map(([kind, { count, example }]) => ({ phase, kind, count, example }))
    .sort((a, b) => b.count - a.count);
}

/** 605.2 → `10:05`. */
export function formatClock(seconds: number): string {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** 0.0321 → `+3.2 %`. */
export function formatGrowth(ratio: number): string {
  return `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(1)} %`;
}
