import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SoakReport } from './run-soak';
import { formatClock, formatGrowth } from './run-soak';

/** Where `npm run soak` leaves its results: git-ignored. */
export const SOAK_RESULTS_DIR = join('tmp', 'soak');

/** Failure kinds the table lists; results.json has them all. */
const MAX_KINDS_SHOWN = 12;

const fixed = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The report as Markdown, the way docs/operations.md shows it. */
export function renderSoakMarkdown(report: SoakReport): string {
  const m = report.machine;
  const s = report.settings;
  const t = report.total;
  const lines = [
    `Soak ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; backend ${report.backend}. ` +
      `${formatClock(report.measuredSeconds)} measured after a ${formatClock(s.warmupSeconds)} warm-up at the same rate, ` +
      `${fixed(s.rate)} req/s open-loop (at most ${s.maxInFlight} pending), ${s.users} users. ` +
      `Latency: from sending to the whole answer, load generator on the same machine; it sent requests at most ${fixed(report.lagMaxMs, 1)} ms late (p99 ${fixed(report.lagP99Ms, 1)} ms). ` +
      `Machine load average meanwhile: ${fixed(report.loadAverage.mean, 1)} on average, ${fixed(report.loadAverage.max, 1)} at most (${m.cores} cores).`,
    '',
    '| operation | count | req/s (planned) | p50 ms | p99 ms | errors |',
    '|---|--:|--:|--:|--:|--:|',
    ...report.operations.map(
      (o) =>
        `| ${o.title} | ${fixed(o.count)} | ${fixed(o.perSecond, 1)} (${fixed(o.plannedPerSecond, 1)}) | ${fixed(o.p50Ms, 1)} | ${fixed(o.p99Ms, 1)} | ${o.errors} |`,
    ),
    `| **total** | ${fixed(t.count)} | ${fixed(t.perSecond, 1)} (${fixed(t.plannedPerSecond, 1)}) | ${fixed(t.p50Ms, 1)} | ${fixed(t.p99Ms, 1)} | ${t.errors} |`,
    '',
    `| service | RSS MiB at start (after the ${formatClock(s.warmupSeconds)} warm-up) | RSS MiB at end | growth | peak MiB | CPU, cores |`,
    '|---|--:|--:|--:|--:|--:|',
    ...report.services.map(
      (r) =>
        `| ${r.service} | ${fixed(r.startRssMiB, 1)} | ${fixed(r.endRssMiB, 1)} | ${formatGrowth(r.rssGrowth)} | ${fixed(r.peakRssMiB, 1)} | ${r.cpuCores === undefined ? '–' : fixed(r.cpuCores, 2)} |`,
    ),
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...report.targets.map((r) => `| ${r.target} | ${r.measured} | ${r.met ? 'yes' : '**no**'} |`),
  ];
  if (report.failures.length > 0) {
    lines.push(
      '',
      '| failures by kind | phase | count |',
      '|---|---|--:|',
      ...report.failures
        .slice(0, MAX_KINDS_SHOWN)
        .map((f) => `| ${f.kind.replace(/\|/g, '\\|')} | ${f.phase} | ${f.count} |`),
    );
    if (report.failures.length > MAX_KINDS_SHOWN) {
      lines.push('', `${report.failures.length - MAX_KINDS_SHOWN} more kinds in results.json.`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Writes `results.json` and `table.md` into `dir`; returns the table. */
export async function writeSoakReport(report: SoakReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const table = renderSoakMarkdown(report);
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(dir, 'table.md'), table);
  return table;
}
