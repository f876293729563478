import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChart, renderMarkdown } from './report';
import type { BenchReport } from './scenarios';

/** Where a run leaves its results: git-ignored. */
export const RESULTS_DIR = join('tmp', 'bench');

/** The page that shows the published run, between these markers. */
const PAGE = join('docs', 'benchmarks.md');
const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

/** Writes `results.json`, `table.md` and `chart.svg` into `dir`; returns the table. */
export async function writeReport(report: BenchReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const table = renderMarkdown(report);
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(dir, 'table.md'), table);
  await writeFile(join(dir, 'chart.svg'), renderChart(report));
  return table;
}

/**
 * Puts a run's table into docs/benchmarks.md between the bench markers and
 * its chart at docs/bench/chart.svg, where that page shows it.
 */
export async function publishReport(dir: string, root: string): Promise<void> {
  const table = await readFile(join(dir, 'table.md'), 'utf8');
  await mkdir(join(root, 'docs', 'bench'), { recursive: true });
  await copyFile(join(dir, 'chart.svg'), join(root, 'docs', 'bench', 'chart.svg'));
  const pagePath = join(root, PAGE);
  const page = await readFile(pagePath, 'utf8');
  const begin = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (begin < 0 || end < begin) {
    throw new Error(`${PAGE} has no ${BEGIN} … ${END} section to fill`);
  }
  // The chart's path is relative to the page, which sits in docs/.
  const section = `${BEGIN}\n${table}\n![req/s per scenario](bench/chart.svg)\n`;
  await writeFile(pagePath, page.slice(0, begin) + section + page.slice(end));
}
