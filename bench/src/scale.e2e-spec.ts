import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScale } from './scale/run-scale';
import type { ScaleReport } from './scale/run-scale';
import { writeScaleReport } from './scale/scale-report';
import { SMOKE_SCALE } from './scale/scale-settings';

/**
 * `npm run bench -- --scale --smoke`: every series at two tiny sizes. It
 * checks that each series measures something at every size and that the
 * report is written; no thresholds, which only the full run can judge.
 */
describe('npm run bench -- --scale --smoke', () => {
  let report: ScaleReport;
  let dir: string;

  beforeAll(async () => {
    report = await runScale(SMOKE_SCALE, () => undefined);
    dir = await mkdtemp(join(tmpdir(), 'svt-bench-scale-'));
    await writeScaleReport(report, dir);
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('measures the gateway series', () => {
    expect(report.series.map((s) => s.id)).toEqual(
      expect.arrayContaining([
        'gateway-connections',
        'token-cache',
        'identity-token-reuse',
        'denylist-size',
      ]),
    );
  });

  it('measures every series at two sizes at least, with a finite value in every column', () => {
    for (const series of report.series) {
      expect({ series: series.id, twoSizes: series.points.length >= 2 }).toEqual({
        series: series.id,
        twoSizes: true,
      });
      for (const point of series.points) {
        for (const column of series.columns) {
          const value = point.values[column.key];
          expect({
            series: series.id,
            x: point.x,
            column: column.key,
            finite: Number.isFinite(value),
          }).toEqual({
            series: series.id,
            x: point.x,
            column: column.key,
            finite: true,
          });
        }
      }
      expect(series.bend).not.toBe('no data');
    }
  });

  it('answers every request through the gateway', () => {
    for (const series of report.series) {
      for (const point of series.points) {
        if ('errors' in point.values)
          expect([series.id, point.x, point.values['errors']]).toEqual([series.id, point.x, 0]);
      }
    }
  });

  it('writes the results, a table per series and a chart per series', async () => {
    const written = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as ScaleReport;
    expect(written.series).toHaveLength(report.series.length);
    const table = await readFile(join(dir, 'table.md'), 'utf8');
    const files = await readdir(dir);
    for (const series of report.series) {
      expect(table).toContain(`#### ${series.title} (${series.backend})`);
      expect(files).toContain(`${series.id}.svg`);
      const chart = await readFile(join(dir, `${series.id}.svg`), 'utf8');
      expect(chart).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
      expect(chart).toContain('<circle');
    }
  });
});
