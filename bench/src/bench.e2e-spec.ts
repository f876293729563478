import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbscComparison, dpopComparison } from './report';
import { runBench } from './run-bench';
import { SCENARIO_TITLES, SMOKE_RUN } from './scenarios';
import type { BenchReport } from './scenarios';
import { writeReport } from './write-report';

/**
 * The harness, run for seconds: it must measure every scenario without an
 * error and write its report. No thresholds: a smoke run on a shared machine
 * proves nothing about speed.
 */
describe('npm run bench -- --smoke', () => {
  let report: BenchReport;
  let dir: string;

  beforeAll(async () => {
    report = await runBench(SMOKE_RUN, 'smoke', () => undefined);
    dir = await mkdtemp(join(tmpdir(), 'svt-bench-'));
    await writeReport(report, dir);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('measures every throughput scenario with answers and no errors', () => {
    const embedded = report.throughput.filter((r) => r.backend === 'embedded');
    expect(embedded.map((r) => r.scenario).sort()).toEqual(Object.keys(SCENARIO_TITLES).sort());
    for (const result of report.throughput) {
      expect({ scenario: result.scenario, errors: result.errors }).toEqual({
        scenario: result.scenario,
        errors: 0,
      });
      expect(result.requestsPerSecond).toBeGreaterThan(0);
    }
  });

  it('measures DPoP beside Bearer on every backend, each request with a fresh proof', () => {
    for (const backend of report.backends) {
      const dpop = report.throughput.find(
        (r) => r.scenario === 'gateway-dpop' && r.backend === backend,
      );
      expect(dpop?.errors).toBe(0);
      expect(dpop?.rounds).toHaveLength(SMOKE_RUN.rounds);
      expect(dpop?.requestsPerSecond).toBeGreaterThan(0);
      expect(dpopComparison(report).join('\n')).toContain(
        `DPoP-bound token vs Bearer through the gateway (${backend}):`,
      );
    }
  });

  it('measures a device-bound session (DBSC) beside the plain one, and DBSC refreshes beside a session read, on every backend', () => {
    const comparison = dbscComparison(report).join('\n');
    for (const backend of report.backends) {
      const bound = report.throughput.find(
        (r) => r.scenario === 'gateway-dbsc' && r.backend === backend,
      );
      expect(bound?.errors).toBe(0);
      expect(bound?.requestsPerSecond).toBeGreaterThan(0);
      const dbsc = report.dbscRefresh.find((r) => r.backend === backend);
      for (const result of [dbsc?.refresh, dbsc?.sessionRead]) {
        expect(result?.errors).toBe(0);
        expect(result?.requestsPerSecond).toBeGreaterThan(0);
        expect(result?.rounds).toHaveLength(SMOKE_RUN.dbscRefreshRounds);
      }
      expect(comparison).toContain(
        `Device-bound session (DBSC) vs session cookie through the gateway (${backend}):`,
      );
      expect(comparison).toContain(`DBSC refresh vs a session read at AUTH (${backend}):`);
    }
  });

  it('logs in and rotates refresh tokens under load without errors', () => {
    expect(report.login.loginsPerSecond).toBeGreaterThan(0);
    expect(report.login.errors).toBe(0);
    expect(report.login.liveSamples).toBeGreaterThan(0);
    expect(report.refresh.refreshesPerSecond).toBeGreaterThan(0);
    expect(report.refresh.errors).toBe(0);
  });

  it('sees a revoked access token refused by the gateway, the cart and auth, and the live cart closed', () => {
    for (const backend of report.backends) {
      const services = report.revocation.filter((r) => r.backend === backend);
      expect(services.map((r) => [r.service, r.missed])).toEqual([
        ['gateway', 0],
        ['cart', 0],
        ['auth', 0],
        ['live cart, token', 0],
        ['live cart, session', 0],
      ]);
    }
  });

  it('opens the cart site signed in by single sign-on on every backend', () => {
    expect(report.singleSignOn.map((r) => r.backend)).toEqual(report.backends);
    for (const result of report.singleSignOn) {
      expect(result.trials).toBe(SMOKE_RUN.singleSignOnTrials);
      expect(result.p50Ms).toBeGreaterThan(0);
      expect(result.redirects).toBeGreaterThanOrEqual(3);
    }
  });

  it('judges every target and writes the results, the table and the chart', async () => {
    expect(report.targets.length).toBeGreaterThanOrEqual(9);
    const written = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as BenchReport;
    expect(written.throughput).toHaveLength(report.throughput.length);
    const table = await readFile(join(dir, 'table.md'), 'utf8');
    expect(table).toContain('| gateway, Bearer | embedded |');
    expect(table).toContain('| gateway, DPoP-bound token | embedded |');
    expect(table).toContain('| gateway, device-bound session (DBSC) | embedded |');
    expect(table).toContain('| DBSC refresh, AUTH | embedded |');
    const chart = await readFile(join(dir, 'chart.svg'), 'utf8');
    expect(chart).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
    expect(chart).toContain('gateway, DPoP-bound token (embedded)');
  });
});
