import type { CpuProfile } from './flame-graph';
import { frameName, mergeStacks, renderFlameGraph } from './flame-graph';
import { hottest } from './run-profile';

/** (root) → main → forward → write, and main → (idle) elsewhere: a small profile. */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '' }, children: [2, 5] },
    {
      id: 2,
      callFrame: { functionName: 'forward', url: 'file:///w/dist/apps/gateway/main.js' },
      children: [3],
    },
    {
      id: 3,
      callFrame: { functionName: 'request', url: 'file:///w/node_modules/undici/lib/api.js' },
      children: [4],
    },
    { id: 4, callFrame: { functionName: 'writev', url: '' } },
    { id: 5, callFrame: { functionName: '(idle)', url: '' } },
  ],
  samples: [4, 4, 3, 2, 5, 5, 5],
};

describe('the flame graph of a CPU profile', () => {
  it('names a frame by its function and where it lives', () => {
    expect(frameName({ functionName: 'f', url: 'file:///w/node_modules/@scope/pkg/x.js' })).toBe(
      'f @scope/pkg',
    );
    expect(frameName({ functionName: '', url: 'node:net' })).toBe('(anonymous) node:net');
    expect(frameName({ functionName: 'g', url: 'file:///w/dist/apps/gateway/main.js' })).toBe(
      'g gateway',
    );
  });

  it('merges the stacks of the request work, idle time left out', () => {
    const root = mergeStacks(PROFILE);
    expect(root.samples).toBe(4);
    const forward = root.children.get('forward gateway');
    expect(forward?.samples).toBe(4);
    expect(forward?.children.get('request undici')?.samples).toBe(3);
    expect(hottest(root, 3)).toEqual([
      { name: 'writev', share: 0.5 },
      { name: 'forward gateway', share: 0.25 },
      { name: 'request undici', share: 0.25 },
    ]);
  });

  it('draws each frame as wide as its share, with the share in its tooltip', () => {
    const svg = renderFlameGraph(mergeStacks(PROFILE), 'test <profile>');
    expect(svg).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
    expect(svg).toContain('test &lt;profile&gt; (4 samples');
    expect(svg).toContain('<title>request undici: 75.0 %</title>');
    expect(svg).toContain('<title>writev: 50.0 %</title>');
  });
});
