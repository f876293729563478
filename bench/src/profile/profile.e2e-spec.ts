import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CpuProfile } from './flame-graph';
import { runProfile } from './run-profile';
import type { ProfileResult } from './run-profile';

/** `npm run bench -- --profile --smoke`: the profiler and the flame graph, for two seconds. */
describe('npm run bench -- --profile', () => {
  let dir: string;
  let result: ProfileResult;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-profile-'));
    result = await runProfile(dir, 2, () => undefined);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads the gateway with Bearer requests without an error', () => {
    expect(result.requests).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
  });

  it("writes the gateway's CPU profile, with samples of its own code", async () => {
    const profile = JSON.parse(await readFile(result.files.profile, 'utf8')) as CpuProfile;
    expect(profile.samples.length).toBeGreaterThan(0);
    expect(profile.nodes.some((node) => node.callFrame.url.includes('dist/apps/gateway'))).toBe(
      true,
    );
    expect(result.hottest.length).toBeGreaterThan(0);
  });

  it('draws its flame graph', async () => {
    const svg = await readFile(result.files.flameGraph, 'utf8');
    expect(svg).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
    expect(svg).toContain('<title>all: 100.0 %</title>');
  });
});
