import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSoak } from './soak/run-soak';
import type { SoakReport } from './soak/run-soak';
import { DEFAULT_SOAK, parseDuration, parseSoakArgs } from './soak/settings';
import type { SoakSettings } from './soak/settings';
import { writeSoakReport } from './soak/soak-report';
import { OPERATIONS } from './soak/workload';

/** Seconds at a low rate: enough for every operation to run several times. */
const SMOKE: SoakSettings = {
  durationSeconds: 10,
  rate: 30,
  warmupSeconds: 2,
  users: 4,
  maxInFlight: 64,
  progressSeconds: 5,
};

/**
 * `npm run soak`, run for seconds (on PostgreSQL + Redis when their URLs are
 * set, else embedded): the mixed workload must run without an error, read
 * every service's memory and write its report. No thresholds: ten seconds on
 * a shared machine say nothing about memory growth or speed.
 */
describe('npm run soak, for ten seconds', () => {
  let report: SoakReport;
  let dir: string;
  const progress: string[] = [];

  beforeAll(async () => {
    report = await runSoak(SMOKE, (line) => progress.push(line));
    dir = await mkdtemp(join(tmpdir(), 'svt-soak-'));
    await writeSoakReport(report, dir);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers every request as expected', () => {
    expect(report.failures).toEqual([]);
    expect(report.errors).toBe(0);
    expect(report.total.errors).toBe(0);
  });

  it('runs every operation of the mix several times', () => {
    expect(report.operations.map((o) => o.operation)).toEqual(OPERATIONS);
    for (const operation of report.operations) {
      expect({ operation: operation.operation, atLeastFive: operation.count >= 5 }).toEqual({
        operation: operation.operation,
        atLeastFive: true,
      });
    }
    expect(report.total.count).toBe(report.operations.reduce((sum, o) => sum + o.count, 0));
  });

  it('reads the memory of auth, the gateway and cart at start and end', () => {
    expect(report.services.map((s) => s.service)).toEqual(['auth', 'gateway', 'cart']);
    for (const service of report.services) {
      expect(service.startRssMiB).toBeGreaterThan(0);
      expect(service.endRssMiB).toBeGreaterThan(0);
      expect(service.peakRssMiB).toBeGreaterThanOrEqual(
        Math.max(service.startRssMiB, service.endRssMiB),
      );
    }
  });

  it('reports progress while it runs', () => {
    expect(
      progress.some((line) => /^0:\d\d of 0:10: [\d.]+ req\/s, 0 errors so far/.test(line)),
    ).toBe(true);
  });

  it('judges both targets and writes the results and the table', async () => {
    expect(report.targets.map((t) => t.target)).toEqual([
      'Zero errors',
      'RSS growth under 10 % over 0:10, each service',
    ]);
    expect(report.targets[0]?.met).toBe(true);
    const written = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as SoakReport;
    expect(written.operations).toHaveLength(OPERATIONS.length);
    expect(written.backend).toBe(report.backend);
    const table = await readFile(join(dir, 'table.md'), 'utf8');
    expect(table).toContain(`backend ${report.backend}`);
    expect(table).toMatch(/\| \*\*total\*\* \| \d+ \|/);
    expect(table).toMatch(/\| gateway \| [\d.]+ \| [\d.]+ \| [+-][\d.]+ % \|/);
  });
});

describe(parseSoakArgs.name, () => {
  it('takes the defaults without arguments: 10 minutes at 200 req/s', () => {
    expect(parseSoakArgs([])).toEqual({ settings: DEFAULT_SOAK });
    expect(DEFAULT_SOAK).toMatchObject({ durationSeconds: 600, rate: 200, warmupSeconds: 30 });
  });

  it('reads --name value and --name=value', () => {
    expect(parseSoakArgs(['--duration', '2m', '--rate=50', '--users', '8'])).toEqual({
      settings: { ...DEFAULT_SOAK, durationSeconds: 120, rate: 50, users: 8 },
    });
  });

  it('lists every problem at once', () => {
    expect(parseSoakArgs(['--duration', 'soon', '--rate', '-3', '--colour', 'red'])).toEqual({
      problems: [
        '--duration soon: expected e.g. 90, 90s, 10m, 1h',
        '--rate -3: expected a positive number',
        'unknown option: --colour',
      ],
    });
  });

  it.each([
    ['90', 90],
    ['90s', 90],
    ['1.5m', 90],
    ['1h', 3600],
    ['0', undefined],
    ['10 minutes', undefined],
  ])('reads the duration %j as %j seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
});
