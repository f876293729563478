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
  /** Where its code lives (`frameWhere`); empty for the root and V8's own frames. */
  readonly where: string;
  samples: number;
  readonly children: Map<string, Frame>;
}

/** The profiled processes' own code, as `frameWhere` names it: the apps' bundles and the bare proxy's script. */
const APPS = /^(gateway|auth|cart|bare-proxy)$/;

/** Whether `where` (`frameWhere`) is a profiled process's own code rather than a library's or Node's. */
export function isApp(where: string): boolean {
  return APPS.test(where);
}

/** A frame's samples of its own: those not in any function it called. */
export function ownSamples(frame: Frame): number {
  let inChildren = 0;
  for (const child of frame.children.values()) inChildren += child.samples;
  return frame.samples - inChildren;
}

/** Stacks that are not request work: waiting, and loading the code at start. */
const NOT_REQUEST_WORK = /^\(idle\)|node:internal\/modules\/|node:internal\/main\//;

/**
 * Where a frame's code lives: the package for code under node_modules, the
 * app for its bundle (a script by its file's name), Node's module for its
 * own, `wasm` for WebAssembly (undici's HTTP parser), and nothing for V8's
 * and native frames (and regular expressions, which V8 names by their source).
 */
export function frameWhere(url: string): string {
  if (!url) return '';
  if (url.includes('node_modules/')) {
    return url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1');
  }
  if (url.startsWith('node:')) return url;
  if (url.startsWith('wasm:')) return 'wasm';
  // An app's bundle by the app's name; any other script by its file's.
  return url.replace(/.*dist\/apps\/([^/]+)\/.*/, '$1').replace(/^.*\/([^/]+?)(\.[cm]?js)?$/, '$1');
}

/** `functionName where` (`frameWhere`). */
export function frameName(callFrame: { functionName: string; url: string }): string {
  const where = frameWhere(callFrame.url);
  return `${callFrame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

/** The samples' stacks merged into one tree, idle time and start-up left out. */
export function mergeStacks(profile: CpuProfile): Frame {
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  // Named once per node, not once per sample it appears in.
  const labels = new Map(
    profile.nodes.map((node) => [
      node.id,
      { name: frameName(node.callFrame), where: frameWhere(node.callFrame.url) },
    ]),
  );
  const root: Frame = { name: 'all', where: '', samples: 0, children: new Map() };
  for (const sample of profile.samples) {
    const stack: { name: string; where: string }[] = [];
    for (let id: number | undefined = sample; id !== undefined; id = parentOf.get(id)) {
      const label = labels.get(id);
      if (label) stack.push(label);
    }
    stack.pop(); // V8's (root)
    stack.reverse();
    if (stack.length === 0 || stack.some(({ name }) => NOT_REQUEST_WORK.test(name))) continue;
    root.samples += 1;
    let frame = root;
    for (const { name, where } of stack) {
      let child = frame.children.get(name);
      if (!child) {
        child = { name, where, samples: 0, children: new Map() };
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
      `<rect x="${left.toFixed(1)}" y="${y}" width="${Math.max(0.5, width - 0.5).toFixed(1)}" height="${ROW - 1}" fill="${colour(frame)}"/>` +
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
function colour({ name, where }: Frame): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  if (isApp(where)) return `hsl(${200 + (hash % 30)},70%,68%)`;
  if (where === '' || where.startsWith('node:')) return `hsl(${45 + (hash % 15)},80%,65%)`;
  return `hsl(${hash % 35},75%,${62 + (hash % 8)}%)`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
