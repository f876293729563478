import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSize, formatValue } from './bend';
import type { ScaleReport } from './run-scale';
import type { ScaleColumn, ScaleSeries } from './scale-types';

/** Where a `--scale` run leaves its results: git-ignored. */
export const SCALE_RESULTS_DIR = join('tmp', 'bench', 'scale');

const PAGE = join('docs', 'benchmarks.md');
const README = 'README.md';
const BEGIN = '<!-- scale:begin -->';
const END = '<!-- scale:end -->';

/** A chart's published name, in docs/bench/. */
const publishedChart = (id: string): string => `scale-${id}.svg`;

/** The machine and the run, in one sentence, as the main report says it. */
export function describeRun(report: ScaleReport): string {
  const m = report.machine;
  return `Measured ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC (${report.mode} \`--scale\` run, ${(report.seconds / 60).toFixed(1)} min in all) on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; load from autocannon on the same machine. Load average ${report.loadAverage.start.toFixed(1)} at the start, ${report.loadAverage.end.toFixed(1)} at the end: other work on the machine moves req/s, each process's own CPU per request less.`;
}

/**
 * Every series as a Markdown section: its table, where it bends, its notes
 * and its chart, at `chartPath(id)` relative to the page.
 */
export function renderScaleMarkdown(
  report: ScaleReport,
  chartPath: (id: string) => string = (id) => `${id}.svg`,
): string {
  const lines: string[] = [describeRun(report), ''];
  for (const series of report.series) {
    lines.push(
      `#### ${series.title} (${series.backend})`,
      '',
      `| ${series.xLabel} | ${series.columns.map(columnHeading).join(' | ')} |`,
      `|--:|${series.columns.map(() => '--:').join('|')}|`,
      ...series.points.map(
        (p) =>
          `| ${formatSize(p.x)} | ${series.columns.map((c) => formatValue(p.values[c.key])).join(' | ')} |`,
      ),
      '',
      `**Where it bends:** ${series.bend}.`,
      '',
      ...series.notes.map((note) => `- ${note}`),
      '',
      `![${series.title}](${chartPath(series.id)})`,
      '',
    );
  }
  return `${lines.join('\n')}`;
}

/** One line per series for the README: where it bends, and its chart. */
export function renderScaleSummary(report: ScaleReport): string {
  return [
    describeRun(report),
    '',
    '| series | where it bends | chart |',
    '|---|---|---|',
    ...report.series.map(
      (s) =>
        `| ${s.title} (${s.backend}) | ${s.bend} | [chart](docs/bench/${publishedChart(s.id)}) |`,
    ),
    '',
  ].join('\n');
}

/** A column's label, with its unit unless the label says it already. */
const columnHeading = (column: ScaleColumn): string =>
  column.label.includes(column.unit) || column.unit === 'requests'
    ? column.label
    : `${column.label} (${column.unit})`;

const escapeXml = (text: string): string =>
  text.replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c,
  );

const PANEL_COLOURS = ['#2f6fde', '#d1495b', '#1f9d74', '#7b4fd6', '#c9a227', '#9aa5b1', '#e07a1f'];

/**
 * A series as a standalone SVG: one panel per measured column (errors
 * aside), stacked, sharing a logarithmic x axis of the sizes.
 */
export function renderScaleChart(series: ScaleSeries, report: ScaleReport): string {
  const width = 840;
  const left = 70;
  const right = 40;
  const top = 44;
  const panel = 130;
  const gap = 34;
  const columns = series.columns.filter((c) => c.key !== 'errors');
  const height = top + columns.length * (panel + gap) + 40;
  const xs = series.points.map((p) => p.x);
  const [low, high] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  const span = high - low || 1;
  const plotWidth = width - left - right;
  const xOf = (x: number): number =>
    high === low ? left + plotWidth / 2 : left + ((Math.log10(x) - low) / span) * plotWidth;
  const panels = columns.map((column, i) => {
    const y0 = top + i * (panel + gap);
    const colour = PANEL_COLOURS[i % PANEL_COLOURS.length] ?? '#2f6fde';
    const points = series.points
      .map((p) => ({ x: p.x, value: p.values[column.key] }))
      .filter((p): p is { x: number; value: number } => Number.isFinite(p.value));
    const max = Math.max(1e-9, ...points.map((p) => p.value)) * 1.15;
    const yOf = (value: number): number => y0 + 18 + (1 - value / max) * (panel - 18);
    const path = points
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${xOf(p.x).toFixed(1)},${yOf(p.value).toFixed(1)}`)
      .join(' ');
    return [
      `<text x="${left}" y="${y0 + 10}" font-weight="bold">${escapeXml(columnHeading(column))}</text>`,
      `<line x1="${left}" y1="${y0 + panel}" x2="${width - right}" y2="${y0 + panel}" stroke="#bbb"/>`,
      `<line x1="${left}" y1="${y0 + 18}" x2="${left}" y2="${y0 + panel}" stroke="#bbb"/>`,
      `<text x="${left - 6}" y="${y0 + panel}" text-anchor="end" fill="#555" font-size="11">0</text>`,
      points.length > 1
        ? `<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`
        : '',
      ...points.map(
        (p) =>
          `<circle cx="${xOf(p.x).toFixed(1)}" cy="${yOf(p.value).toFixed(1)}" r="3.5" fill="${colour}"/><text x="${xOf(p.x).toFixed(1)}" y="${(yOf(p.value) - 8).toFixed(1)}" text-anchor="middle" font-size="11">${escapeXml(formatValue(p.value))}</text>`,
      ),
      ...series.points.map(
        (p) =>
          `<text x="${xOf(p.x).toFixed(1)}" y="${y0 + panel + 14}" text-anchor="middle" fill="#555" font-size="11">${escapeXml(formatSize(p.x))}</text>`,
      ),
    ].join('');
  });
  const m = report.machine;
  const caption = `x: ${series.xLabel} (log scale); ${series.backend}; ${m.cores} cores, ${m.cpu}; ${report.startedAt.slice(0, 10)}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">${escapeXml(series.title)}</text>`,
    ...panels,
    `<text x="12" y="${height - 10}" fill="#555" font-size="11">${escapeXml(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** Writes `results.json`, `table.md` and one `<id>.svg` per series into `dir`; returns the table. */
export async function writeScaleReport(report: ScaleReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const table = renderScaleMarkdown(report);
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(dir, 'table.md'), table);
  for (const series of report.series) {
    await writeFile(join(dir, `${series.id}.svg`), renderScaleChart(series, report));
  }
  return table;
}

/**
 * Puts the last `--scale` run into the docs: its charts at
 * docs/bench/scale-<id>.svg, its tables into docs/benchmarks.md and a line per
 * series into README.md, each between the scale markers.
 */
export async function publishScaleReport(dir: string, root: string): Promise<void> {
  const report = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as ScaleReport;
  await mkdir(join(root, 'docs', 'bench'), { recursive: true });
  for (const series of report.series) {
    await copyFile(
      join(dir, `${series.id}.svg`),
      join(root, 'docs', 'bench', publishedChart(series.id)),
    );
  }
  // Chart paths are relative to the page: docs/benchmarks.md sits in docs/.
  await replaceSection(
    join(root, PAGE),
    renderScaleMarkdown(report, (id) => `bench/${publishedChart(id)}`),
  );
  await replaceSection(join(root, README), renderScaleSummary(report));
}

async function replaceSection(path: string, content: string): Promise<void> {
  const page = await readFile(path, 'utf8');
  const begin = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${path} has no ${BEGIN} … ${END} section to fill`);
  await writeFile(path, `${page.slice(0, begin)}${BEGIN}\n\n${content}\n${page.slice(end)}`);
}
