import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  findWorkspaceRoot,
  http,
  loginWithSession,
  readTestEnvironment,
  registerUser,
  resolveBackend,
} from '@svt/shared/testing';
import { runLoad } from '../load';
import { cpuSeconds, startNodeProcess } from '../processes';
import { breakDown, breakdownTable } from './breakdown';
import type { ScaleRig } from '../scale/scale-rig';
import { startScaleRig } from '../scale/scale-rig';
import type { CpuProfile, Frame } from './flame-graph';
import { mergeStacks, ownSamples, renderFlameGraph } from './flame-graph';

/** What `--profile` profiles: the bare proxy, and the gateway with each credential. */
export type ProfiledTarget = 'bare-proxy' | 'bearer' | 'session' | 'session-redis';

/** One target's profile: what `--profile` leaves for it in its directory. */
export interface TargetProfile {
  readonly target: ProfiledTarget;
  readonly requests: number;
  readonly errors: number;
  /** The process's own CPU time (user + system, from /proc) over the load, per request answered. */
  readonly cpuMicrosecondsPerRequest: number;
  /** The functions with the largest share of the process's request work, by their own samples. */
  readonly hottest: readonly { readonly name: string; readonly share: number }[];
  /** The share of its samples each owner spent (`breakDown`). */
  readonly shares: ReadonlyMap<string, number>;
  readonly files: { readonly profile: string; readonly flameGraph: string };
}

export interface ProfileRun {
  readonly targets: readonly TargetProfile[];
  /** The targets side by side: CPU µs per request by who spent it (Markdown). */
  readonly breakdown: string;
  readonly breakdownFile: string;
}

const TITLES: Readonly<Record<ProfiledTarget, string>> = {
  'bare-proxy': 'The bare proxy (fastify + undici) forwarding the same requests',
  bearer: 'The gateway forwarding Bearer requests, logging as in production',
  session:
    'The gateway forwarding requests with a session cookie (SQLite), logging as in production',
  'session-redis':
    'The gateway forwarding requests with a session cookie (Redis), logging as in production',
};

const COLUMNS: Readonly<Record<ProfiledTarget, string>> = {
  'bare-proxy': 'bare proxy',
  bearer: 'gateway, Bearer',
  session: 'gateway, session cookie (SQLite)',
  'session-redis': 'gateway, session cookie (Redis)',
};

/**
 * Profiles, one after the other, for `seconds` each at 20 connections, each
 * in a process of its own forwarding `GET /api/cart` to the stand-in upstream:
 * the bare proxy (no credential), then the gateway with a Bearer token, then
 * with a session cookie read from the embedded default's file, logging as in
 * production; with DATABASE_URL and REDIS_URL set, then with a session cookie
 * read from Redis. Leaves each CPU profile and its flame graph in `dir`, and a
 * table of where each spends its CPU per request, side by side: what
 * explains the gap between the gateway and the bare proxy.
 */
export async function runProfile(
  dir: string,
  seconds: number,
  progress: (line: string) => void,
): Promise<ProfileRun> {
  const root = findWorkspaceRoot();
  const environment = readTestEnvironment();
  const profiler = (samplesDir: string): Record<string, string> => ({
    NODE_OPTIONS: `--require ${join(root, 'bench', 'cpu-profile.cjs')}`,
    CPU_PROFILE_DIR: samplesDir,
  });
  /** A gateway of `rig`, profiled, sending `headers`. */
  const gatewayOf =
    (rig: ScaleRig, headers: Record<string, string>) =>
    async (samplesDir: string): Promise<Profiled> => {
      const gateway = await rig.startGateway({ LOG_LEVEL: 'info', ...profiler(samplesDir) });
      return {
        url: gateway.url,
        pid: gateway.pid,
        headers,
        stop: async () => void (await gateway.terminate()),
      };
    };
  const sessionCookie = async (rig: ScaleRig): Promise<Record<string, string>> => {
    const client = http(rig.system.auth);
    const session = await loginWithSession(client, await registerUser(client));
    return { cookie: session.jar.header() };
  };
  const options = { dir, seconds, progress };
  const targets: TargetProfile[] = [];
  const rig = await startScaleRig('embedded', progress);
  try {
    const bareProxy = async (samplesDir: string): Promise<Profiled> => {
      const bare = await startNodeProcess('bare proxy', root, 'bench/peers/bare-proxy.mjs', {
        ...environment.inherited,
        UPSTREAM_URL: rig.upstream.url,
        ...profiler(samplesDir),
      });
      return { url: bare.url, pid: bare.pid, headers: {}, stop: () => bare.stop() };
    };
    targets.push(
      await profileOne('bare-proxy', bareProxy, options),
      await profileOne(
        'bearer',
        gatewayOf(rig, { authorization: `Bearer ${rig.accessToken}` }),
        options,
      ),
      await profileOne('session', gatewayOf(rig, await sessionCookie(rig)), options),
    );
  } finally {
    await rig.stop();
  }
  if (resolveBackend(environment) === 'postgres+redis') {
    const redisRig = await startScaleRig('postgres+redis', progress);
    try {
      targets.push(
        await profileOne(
          'session-redis',
          gatewayOf(redisRig, await sessionCookie(redisRig)),
          options,
        ),
      );
    } finally {
      await redisRig.stop();
    }
  } else {
    progress(
      'PostgreSQL + Redis: SKIPPED (set DATABASE_URL and REDIS_URL to profile the session cookie on Redis too)',
    );
  }
  const breakdown = breakdownTable(
    targets.map((t) => ({
      title: COLUMNS[t.target],
      shares: t.shares,
      cpuMicrosecondsPerRequest: t.cpuMicrosecondsPerRequest,
    })),
  );
  const breakdownFile = join(dir, 'breakdown.md');
  await writeFile(breakdownFile, breakdown);
  return { targets, breakdown, breakdownFile };
}

/** A started process to profile: where it listens and what each request sends. */
interface Profiled {
  readonly url: string;
  readonly pid: number | undefined;
  readonly headers: Record<string, string>;
  /** Ends it with SIGTERM, on which it writes its profile. */
  stop(): Promise<void>;
}

async function profileOne(
  target: ProfiledTarget,
  start: (samplesDir: string) => Promise<Profiled>,
  { dir, seconds, progress }: { dir: string; seconds: number; progress: (line: string) => void },
): Promise<TargetProfile> {
  const samplesDir = join(dir, `samples-${target}`);
  await rm(samplesDir, { recursive: true, force: true });
  const profiled = await start(samplesDir);
  let load;
  let cpu;
  try {
    progress(`${COLUMNS[target]}: ${seconds} s of load under the profiler`);
    const before = await cpuSeconds(profiled.pid);
    load = await runLoad(
      { path: '/api/cart', headers: profiled.headers },
      { url: profiled.url, connections: 20, durationSeconds: seconds },
    );
    const after = await cpuSeconds(profiled.pid);
    cpu = before === undefined || after === undefined ? undefined : after - before;
  } finally {
    await profiled.stop();
  }
  if (cpu === undefined) throw new Error('bench: --profile reads CPU times from /proc (Linux)');
  const [written] = await readdir(samplesDir).catch(() => []);
  if (!written) throw new Error(`bench: the profiled ${COLUMNS[target]} wrote no profile`);
  const profile = JSON.parse(await readFile(join(samplesDir, written), 'utf8')) as CpuProfile;
  const merged = mergeStacks(profile);
  await mkdir(dir, { recursive: true });
  const name = target === 'bare-proxy' ? 'bare-proxy' : `gateway-${target}`;
  const files = {
    profile: join(dir, `${name}.cpuprofile`),
    flameGraph: join(dir, `${name}.svg`),
  };
  await writeFile(files.profile, JSON.stringify(profile));
  await writeFile(files.flameGraph, renderFlameGraph(merged, TITLES[target]));
  await rm(samplesDir, { recursive: true, force: true });
  return {
    target,
    requests: load.requests,
    errors: load.errors,
    cpuMicrosecondsPerRequest: load.requests > 0 ? (cpu * 1e6) / load.requests : 0,
    hottest: hottest(merged, 15),
    shares: breakDown(merged),
    files,
  };
}

/** The `count` frames with the most samples of their own, wherever they are called from (ties by name). */
export function hottest(root: Frame, count: number): TargetProfile['hottest'] {
  const own = new Map<string, number>();
  const visit = (frame: Frame): void => {
    for (const child of frame.children.values()) visit(child);
    if (frame !== root) own.set(frame.name, (own.get(frame.name) ?? 0) + ownSamples(frame));
  };
  visit(root);
  return [...own]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, count)
    .map(([name, samples]) => ({ name, share: root.samples ? samples / root.samples : 0 }));
}
