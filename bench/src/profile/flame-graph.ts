/** A V8 CPU profile (`.cpuprofile`), as the inspector's `Profiler.stop` returns it. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
    readonly children?: readonly number[];
  }[];
  /** The node each sample landed in. */
  readonly samples: readonly number[];
}

/** A frame of the flame graph: a function under its callers, and the samples under it. */
export interface Frame {
  readonly name: string;
  samples: number;
  readonly children: Map<string, Frame>;
}

/** Stacks that are not request work: waiting, and loading the code at start. */
const NOT_REQUEST_WORK = /^\(idle\)|node:internal\/modules\/|node:internal\/main\//;

/**
 * `functionName where`: the package for code under node_modules, the app for
 * the bundle, Node's module for its own.
 */
export function frameName(callFrame: { functionName: string; url: string }): string {
  const { url } = callFrame;
  const where = !url
    ? ''
    : url.includes('node_modules/')
      ? url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1')
      : url.startsWith('node:')
        ? url
        : url.replace(/.*dist\/apps\/([^/]+)\/.*/, '$1');
  return `${callFrame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

/** The samples' stacks merged into one tree, idle time and start-up left out. */
export function mergeStacks(profile: CpuProfile): Frame {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const root: Frame = { name: 'all', samples: 0, children: new Map() };
  for (const sample of profile.samples) {
    const names: string[] = [];
    for (let id: number | undefined = sample; id !== undefined; id = parentOf.get(id)) {
      const node = byId.get(id);
      if (node) names.push(frameName(node.callFrame));
    }
    names.pop(); // V8's (root)
    names.reverse();
    if (names.length === 0 || names.some((name) => NOT_REQUEST_WORK.test(name))) continue;
    root.samples += 1;
    let frame = root;
    for (const name of names) {
      let child = frame.children.get(name);
      if (!child) {
        child = { name, samples: 0, children: new Map() };
        frame.children.set(name, child);
      }
      child.samples += 1;
      frame = child;
    }
  }
  return root;
}

const WIDTH = 1200;
const ROW = 16;
/** Frames narrower than this share of the samples are left out, with their callees. */
const MIN_SHARE = 0.002;

/**
 * A flame graph (Brendan Gregg's layout): callers below, callees above, each
 * frame as wide as its share of the samples; its share in a tooltip.
 */
export function renderFlameGraph(root: Frame, title: string): string {
  const placed: { frame: Frame; x: number; depth: number }[] = [];
  let depth = 0;
  const place = (frame: Frame, x: number, level: number): void => {
    depth = Math.max(depth, level);
    placed.push({ frame, x, depth: level });
    let childX = x;
    for (const child of [...frame.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (child.samples / root.samples >= MIN_SHARE) place(child, childX, level + 1);
      childX += child.samples;
    }
  };
  if (root.samples > 0) place(root, 0, 0);
  const height = (depth + 1) * ROW + 40;
  const rows = placed.map(({ frame, x, depth: level }) => {
    const left = (x / root.samples) * WIDTH;
    const width = (frame.samples / root.samples) * WIDTH;
    const y = height - (level + 1) * ROW - 4;
    const share = ((100 * frame.samples) / root.samples).toFixed(1);
    const label = width > 40 ? escape(frame.name.slice(0, Math.floor(width / 6.5))) : '';
    return (
      `<g><title>${escape(frame.name)}: ${share} %</title>` +
      `<rect x="${left.toFixed(1)}" y="${y}" width="${Math.max(0.5, width - 0.5).toFixed(1)}" height="${ROW - 1}" fill="${colour(frame.name)}"/>` +
      (label ? `<text x="${(left + 3).toFixed(1)}" y="${y + 11}">${label}</text>` : '') +
      '</g>'
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="#fafafa"/>',
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)} (${root.samples} samples; width: share of the CPU)</text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}

/** The app's own code blue, Node's and V8's yellow, libraries red to orange. */
function colour(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const where = name.split(' ')[1] ?? '';
  if (/^(gateway|auth|cart)$/.test(where)) return `hsl(${200 + (hash % 30)},70%,68%)`;
  if (where === '' || where.startsWith('node:')) return `hsl(${45 + (hash % 15)},80%,65%)`;
  return `hsl(${hash % 35},75%,${62 + (hash % 8)}%)`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
