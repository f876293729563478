import type { Frame } from './flame-graph';
import { isApp, ownSamples } from './flame-graph';

/**
 * Who spent a frame's time, by where its code lives (`frameWhere`): the first
 * rule that matches wins. V8 names its own frames; a native call's time shows
 * in the JavaScript frame that made it, so the SQLite reads and writes are
 * found by the client's methods that call better-sqlite3.
 */
const OWNERS: readonly (readonly [RegExp, string])[] = [
  [
    /^(pino|sonic-boom|thread-stream|@pinojs\/.+|fast-redact|quick-format-unescaped|safe-stable-stringify|on-exit-leak-free)$/,
    'log lines (pino)',
  ],
  [/^(prom-client|tdigest|bintrees)$/, 'metrics (prom-client)'],
  [/^(@fastify\/cookie|cookie|cookie-signature)$/, 'cookies (@fastify/cookie)'],
  [/^@fastify\/cors$/, 'CORS (@fastify/cors)'],
  [/^(@nestjs\/.+|rxjs|iterare|reflect-metadata|tslib|path-to-regexp|lodash)$/, 'Nest'],
  [/^undici$/, 'upstream requests (undici)'],
  [/^(redis|@redis\/.+|cluster-key-slot)$/, 'Redis client (node-redis)'],
  [/^better-sqlite3$/, 'SQLite (better-sqlite3)'],
  [/^(jose|jsonwebtoken|jws|jwa|passport-jwt|passport)$/, 'JWT and passport'],
  [
    /^(fastify|find-my-way|avvio|light-my-request|@fastify\/.+|fast-.+|fastq|toad-cache|safe-regex2|ret|rfdc|secure-json-parse|content-type|process-warning|abstract-logging|semver)$/,
    'HTTP framework (fastify)',
  ],
  [/^cpu-profile$/, 'the profiler (bench/cpu-profile.cjs)'],
];

/** V8's own frames, by name. */
const V8_FRAMES: Readonly<Record<string, string>> = {
  '(garbage collector)': 'garbage collection',
  '(program)': 'V8 and native code outside JavaScript',
};

/** The SQLite client's methods that call into better-sqlite3 (`SqliteClient`). */
const SQLITE_CALLS = /^#(query|execute|prepare) /;

/** Where Node's own modules and natives land when no package called them: the HTTP parser, sockets, timers. */
export const NODE_ITSELF = 'Node.js (HTTP parsing, sockets, timers)';

/** Owners under this many µs per request in every column are summed into one row. */
const SMALL_MICROSECONDS = 0.5;

/**
 * The owner of one frame: a rule's label, `<app>'s own code` for an app's
 * bundle or script, a package's name, or `undefined` for Node's own modules,
 * natives, WebAssembly and regular expressions (their time belongs to
 * whoever called them).
 */
export function ownerOf(frame: Pick<Frame, 'name' | 'where'>): string | undefined {
  const v8 = V8_FRAMES[frame.name];
  if (v8) return v8;
  if (SQLITE_CALLS.test(frame.name)) return 'SQLite (better-sqlite3)';
  const { where } = frame;
  if (where === '' || where === 'wasm' || where.startsWith('node:')) return undefined;
  for (const [pattern, label] of OWNERS) if (pattern.test(where)) return label;
  // A process's own code: what no package accounts for.
  return isApp(where) ? `${where}'s own code` : where;
}

/**
 * The samples of a merged profile by owner: each frame's own samples go to
 * the nearest frame, itself or a caller, that has an owner, so a socket write
 * counts for the library that asked for it. Shares of all the samples.
 */
export function breakDown(root: Frame): ReadonlyMap<string, number> {
  const samples = new Map<string, number>();
  const visit = (frame: Frame, inherited: string | undefined): void => {
    const owner = (frame === root ? undefined : ownerOf(frame)) ?? inherited;
    for (const child of frame.children.values()) visit(child, owner);
    const own = ownSamples(frame);
    if (own > 0) {
      const label = owner ?? NODE_ITSELF;
      samples.set(label, (samples.get(label) ?? 0) + own);
    }
  };
  visit(root, undefined);
  const shares = new Map<string, number>();
  for (const [label, count] of samples) shares.set(label, root.samples ? count / root.samples : 0);
  return shares;
}

/** One profiled process: its breakdown and the CPU it spent per request. */
export interface ProfiledBreakdown {
  readonly title: string;
  readonly shares: ReadonlyMap<string, number>;
  readonly cpuMicrosecondsPerRequest: number;
}

/**
 * A Markdown table, one column per profiled process: µs of CPU per request
 * by owner (its share of the samples times the process's CPU per request),
 * the owners in the order of their largest figure (those under 0.5 µs
 * everywhere summed in one row), and the total.
 */
export function breakdownTable(columns: readonly ProfiledBreakdown[]): string {
  const micros = (column: ProfiledBreakdown, label: string): number =>
    (column.shares.get(label) ?? 0) * column.cpuMicrosecondsPerRequest;
  const largest = (label: string): number => Math.max(...columns.map((c) => micros(c, label)));
  const all = [...new Set(columns.flatMap((column) => [...column.shares.keys()]))];
  const labels = all
    .filter((label) => largest(label) >= SMALL_MICROSECONDS)
    .sort((a, b) => largest(b) - largest(a) || a.localeCompare(b));
  const small = all.filter((label) => largest(label) < SMALL_MICROSECONDS);
  const smallMicros = (column: ProfiledBreakdown): number =>
    small.reduce((sum, label) => sum + micros(column, label), 0);
  const cell = (value: number): string => (value >= SMALL_MICROSECONDS ? value.toFixed(0) : '–');
  return [
    `| CPU µs per request, by who spent it | ${columns.map((c) => c.title).join(' | ')} |`,
    `|---|${columns.map(() => '--:').join('|')}|`,
    ...labels.map(
      (label) => `| ${label} | ${columns.map((c) => cell(micros(c, label))).join(' | ')} |`,
    ),
    ...(small.length > 0
      ? [
          `| ${small.length} more, each under ${SMALL_MICROSECONDS} µs | ${columns.map((c) => cell(smallMicros(c))).join(' | ')} |`,
        ]
      : []),
    `| **all** | ${columns.map((c) => `**${c.cpuMicrosecondsPerRequest.toFixed(0)}**`).join(' | ')} |`,
    '',
  ].join('\n');
}
