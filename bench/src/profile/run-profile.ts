import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@svt/shared/testing';
import { runLoad } from '../load';
import { startScaleRig } from '../scale/scale-rig';
import type { CpuProfile, Frame } from './flame-graph';
import { mergeStacks, renderFlameGraph } from './flame-graph';

/** What `--profile` leaves in its directory. */
export interface ProfileResult {
  readonly requests: number;
  readonly errors: number;
  /** The functions with the largest share of the gateway's request work, by their own samples. */
  readonly hottest: readonly { readonly name: string; readonly share: number }[];
  readonly files: { readonly profile: string; readonly flameGraph: string };
}

/**
 * Profiles the gateway while it forwards Bearer requests to the stand-in
 * upstream for `seconds`, logging as in production: its CPU profile and the
 * flame graph of it, in `dir`.
 */
export async function runProfile(
  dir: string,
  seconds: number,
  progress: (line: string) => void,
): Promise<ProfileResult> {
  const samplesDir = join(dir, 'samples');
  await rm(samplesDir, { recursive: true, force: true });
  const rig = await startScaleRig('embedded', progress);
  let load;
  try {
    const gateway = await rig.startGateway({
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--require ${join(findWorkspaceRoot(), 'bench', 'cpu-profile.cjs')}`,
      CPU_PROFILE_DIR: samplesDir,
    });
    progress(`gateway, Bearer: ${seconds} s of load under the profiler`);
    load = await runLoad(
      { path: '/api/cart', headers: { authorization: `Bearer ${rig.accessToken}` } },
      { url: gateway.url, connections: 20, durationSeconds: seconds },
    );
  } finally {
    // The profiled gateway writes its profile as it stops.
    await rig.stop();
  }
  const [written] = await readdir(samplesDir).catch(() => []);
  if (!written) throw new Error('bench: the profiled gateway wrote no profile');
  const profile = JSON.parse(await readFile(join(samplesDir, written), 'utf8')) as CpuProfile;
  const merged = mergeStacks(profile);
  await mkdir(dir, { recursive: true });
  const files = {
    profile: join(dir, 'gateway-bearer.cpuprofile'),
    flameGraph: join(dir, 'gateway-bearer.svg'),
  };
  await writeFile(files.profile, JSON.stringify(profile));
  await writeFile(
    files.flameGraph,
    renderFlameGraph(merged, 'The gateway forwarding Bearer requests, logging as in production'),
  );
  await rm(samplesDir, { recursive: true, force: true });
  return { requests: load.requests, errors: load.errors, hottest: hottest(merged, 15), files };
}

/** The `count` frames with the most samples of their own, wherever they are called from (ties by name). */
export function hottest(root: Frame, count: number): ProfileResult['hottest'] {
  const own = new Map<string, number>();
  const visit = (frame: Frame): void => {
    let inChildren = 0;
    for (const child of frame.children.values()) {
      inChildren += child.samples;
      visit(child);
    }
    if (frame !== root)
      own.set(frame.name, (own.get(frame.name) ?? 0) + frame.samples - inChildren);
  };
  visit(root);
  return [...own]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, count)
    .map(([name, samples]) => ({ name, share: root.samples ? samples / root.samples : 0 }));
}
