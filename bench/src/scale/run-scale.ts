import { loadavg } from 'node:os';
import type { Machine } from '../scenarios';
import { describeMachine } from '../run-bench';
import { readTestEnvironment, resolveBackend } from '@svt/shared/testing';
import { measureConnections } from './connections-series';
import { measureDenylist } from './denylist-series';
import { measureIdentityTokens } from './identity-token-series';
import { startScaleRig } from './scale-rig';
import type { ScaleProgress, ScaleSeries, ScaleSettings } from './scale-types';
import { measureStorageScale } from './storage';
import { measureTokenCache } from './token-cache-series';

/** Everything one `--scale` run measured. */
export interface ScaleReport {
  readonly startedAt: string;
  readonly mode: 'full' | 'smoke';
  readonly settings: ScaleSettings;
  readonly machine: Machine;
  /** Wall-clock seconds of the whole run, seeding included. */
  readonly seconds: number;
  /**
   * The machine's 1-minute load average at the start and at the end: what
   * else ran moves req/s, and each process's CPU per request less.
   */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly series: readonly ScaleSeries[];
}

/**
 * The gateway series on one system on the embedded default (connections,
 * verified-token cache, identity-token reuse, then the revocation list, last
 * because its denials stay in the shared file), the revocation list again on
 * Redis when DATABASE_URL and REDIS_URL are set (not in the smoke run),
 * then the storage series, which start what they need themselves. Needs the
 * built services (`npm run build`).
 */
export async function runScale(
  settings: ScaleSettings,
  progress: ScaleProgress,
): Promise<ScaleReport> {
  const startedAt = new Date();
  const [loadAtStart = 0] = loadavg();
  const series: ScaleSeries[] = [];
  const rig = await startScaleRig('embedded', progress);
  try {
    series.push(await measureConnections(rig, settings, progress));
    series.push(await measureTokenCache(rig, settings, progress));
    series.push(await measureIdentityTokens(rig, settings, progress));
    series.push(await measureDenylist(rig, settings, progress));
  } finally {
    await rig.stop();
  }
  // The other series do not depend on the store; the revocation list loads from it.
  if (settings.smoke) {
    // The embedded run has checked the series; the smoke run stays under a minute.
    progress('revocation list on Redis: skipped in the smoke run');
  } else if (resolveBackend(readTestEnvironment()) === 'postgres+redis') {
    const redisRig = await startScaleRig('postgres+redis', progress);
    try {
      series.push(await measureDenylist(redisRig, settings, progress));
    } finally {
      await redisRig.stop();
    }
  } else {
    progress(
      'revocation list on Redis: SKIPPED (set DATABASE_URL and REDIS_URL to measure it there too)',
    );
  }
  series.push(...(await measureStorageScale(settings, progress)));
  return {
    startedAt: startedAt.toISOString(),
    mode: settings.smoke ? 'smoke' : 'full',
    settings,
    machine: describeMachine(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
    series,
  };
}
