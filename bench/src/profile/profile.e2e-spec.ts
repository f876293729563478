import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTestEnvironment, resolveBackend } from '@svt/shared/testing';
import type { CpuProfile } from './flame-graph';
import { runProfile } from './run-profile';
import type { ProfileRun } from './run-profile';

/** The session on Redis too, when the run has PostgreSQL + Redis (CI has). */
const TARGETS =
  resolveBackend(readTestEnvironment()) === 'postgres+redis'
    ? (['bare-proxy', 'bearer', 'session', 'session-redis'] as const)
    : (['bare-proxy', 'bearer', 'session'] as const);

/** `npm run bench -- --profile --smoke`: the profiler, the flame graphs and the breakdown, for two seconds each. */
describe('npm run bench -- --profile', () => {
  let dir: string;
  let run: ProfileRun;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-profile-'));
    run = await runProfile(dir, 2, () => undefined);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const profileOf = (target: (typeof TARGETS)[number]) => {
    const found = run.targets.find((t) => t.target === target);
    if (!found) throw new Error(`no ${target} profile`);
    return found;
  };

  it('profiles the bare proxy, then the gateway with a Bearer token and with a session cookie (SQLite, then Redis when set)', () => {
    expect(run.targets.map((t) => t.target)).toEqual([...TARGETS]);
  });

  it.each(TARGETS)('loads %s without an error, and measures its CPU per request', (target) => {
    const result = profileOf(target);
    expect(result.requests).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
    expect(result.cpuMicrosecondsPerRequest).toBeGreaterThan(0);
  });

  it.each(TARGETS)('writes the CPU profile of %s, with samples of its own code', async (target) => {
    const result = profileOf(target);
    const profile = JSON.parse(await readFile(result.files.profile, 'utf8')) as CpuProfile;
    expect(profile.samples.length).toBeGreaterThan(0);
    const own = target === 'bare-proxy' ? 'bench/peers/bare-proxy.mjs' : 'dist/apps/gateway';
    expect(profile.nodes.some((node) => node.callFrame.url.includes(own))).toBe(true);
    expect(result.hottest.length).toBeGreaterThan(0);
  });

  it('draws a flame graph of each, in a file of its own', async () => {
    const files = run.targets.map((t) => t.files.flameGraph);
    expect(new Set(files).size).toBe(TARGETS.length);
    for (const file of files) {
      const svg = await readFile(file, 'utf8');
      expect(svg).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
      expect(svg).toContain('<title>all: 100.0 %</title>');
    }
  });

  it('writes where each spends its CPU, side by side, the work of its libraries named', async () => {
    expect(await readFile(run.breakdownFile, 'utf8')).toBe(run.breakdown);
    const columns = TARGETS.length === 4 ? ' gateway, session cookie (Redis) |' : '';
    expect(run.breakdown.split('\n')[0]).toBe(
      `| CPU µs per request, by who spent it | bare proxy | gateway, Bearer | gateway, session cookie (SQLite) |${columns}`,
    );
    expect(run.breakdown).toMatch(/^\| upstream requests \(undici\) \|/m);
    expect(run.breakdown).toMatch(/^\| HTTP framework \(fastify\) \|/m);
    expect(profileOf('bearer').shares.get('log lines (pino)')).toBeGreaterThan(0);
    expect(profileOf('bare-proxy').shares.get('log lines (pino)')).toBeUndefined();
  });
});
