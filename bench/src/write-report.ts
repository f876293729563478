import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChart, renderMarkdown } from './report';
import type { BenchReport } from './scenarios';

/** Where a run leaves its results: git-ignored. */
export const RESULTS_DIR = join('tmp', 'bench');

const README_BEGIN = '<!-- bench:begin -->';
const README_END = '<!-- bench:end -->';

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
 * Puts a run's table into the README between the bench markers and its
 * chart at docs/bench/chart.svg, where the README shows it.
 */
export async function publishReport(dir: string, root: string): Promise<void> {
  const table = await readFile(join(dir, 'table.md'), 'utf8');
  await mkdir(join(root, 'docs', 'bench'), { recursive: true });
  await copyFile(join(dir, 'chart.svg'), join(root, 'docs', 'bench', 'chart.svg'));
  const readmePath = join(root, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) {
    throw new Error(`README.md has no ${README_BEGIN} … ${README_END} section to fill`);
  }
  const section = `${README_BEGIN}\n${table}\n![req/s per scenario](docs/bench/chart.svg)\n`;
  await writeFile(readmePath, readme.slice(0, begin) + section + readme.slice(end));
}
