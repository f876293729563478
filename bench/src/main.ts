import { join } from 'node:path';
import { findWorkspaceRoot } from '@svt/shared/testing';
import { runProfile } from './profile/run-profile';
import { runBench } from './run-bench';
import { FULL_RUN, SMOKE_RUN } from './scenarios';
import { runScale } from './scale/run-scale';
import { publishScaleReport, SCALE_RESULTS_DIR, writeScaleReport } from './scale/scale-report';
import { FULL_SCALE, SMOKE_SCALE } from './scale/scale-settings';
import { publishReport, RESULTS_DIR, writeReport } from './write-report';

const USAGE = `npm run bench [-- --smoke] [-- --publish]
npm run bench -- --scale [--smoke] [--publish]
npm run bench -- --profile [--smoke]

  (no flag)   every scenario, about 6 minutes (8–9 with PostgreSQL + Redis); results in ${RESULTS_DIR}/
  --smoke     every scenario once for a second: checks the harness, proves nothing
  --publish   put the last results into docs/benchmarks.md and docs/bench/chart.svg
  --scale     how each cost grows with connections, denials, tokens, users and sessions: the
              gateway series take about 8 minutes (12 with PostgreSQL + Redis), the storage
              series and their seeding come on top; results in ${SCALE_RESULTS_DIR}/
  --scale --smoke    every series at two tiny sizes, under a minute
  --scale --publish  put the last --scale results into docs/benchmarks.md, README.md and
                     docs/bench/scale-*.svg
  --profile   CPU profiles of the bare proxy, then of the gateway forwarding Bearer requests
              and requests with a session cookie, on SQLite and (when set) on Redis (20 s
              each; 2 with --smoke): their flame graphs and where each spends its CPU per
              request, in ${RESULTS_DIR}/profile/
`;

const FLAGS = ['--smoke', '--publish', '--scale', '--profile'];

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((a) => !FLAGS.includes(a));
  if (unknown.length > 0 || args.includes('--help')) {
    process.stderr.write(`unknown argument: ${unknown.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  const root = findWorkspaceRoot();
  const smoke = args.includes('--smoke');
  const started = Date.now();
  const progress = (line: string): void => {
    process.stderr.write(
      `[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
    );
  };
  if (args.includes('--scale')) {
    const dir = join(root, SCALE_RESULTS_DIR);
    if (args.includes('--publish')) {
      await publishScaleReport(dir, root);
      process.stdout.write(
        `docs/benchmarks.md, README.md and docs/bench/scale-*.svg now show ${dir}/table.md\n`,
      );
      return 0;
    }
    const report = await runScale(smoke ? SMOKE_SCALE : FULL_SCALE, progress);
    const table = await writeScaleReport(report, dir);
    process.stdout.write(`\n${table}\nResults: ${dir}/results.json, charts: ${dir}/*.svg\n`);
    return 0;
  }
  const dir = join(root, RESULTS_DIR);
  if (args.includes('--publish')) {
    await publishReport(dir, root);
    process.stdout.write(`docs/benchmarks.md and docs/bench/chart.svg now show ${dir}/table.md\n`);
    return 0;
  }
  if (args.includes('--profile')) {
    const run = await runProfile(join(dir, 'profile'), smoke ? 2 : 20, progress);
    for (const result of run.targets) {
      const rows = result.hottest.map(
        ({ name, share }) => `${(share * 100).toFixed(1).padStart(5)} %  ${name}`,
      );
      process.stdout.write(
        `\n${result.target}: ${result.requests} requests, ${result.errors} errors, ${result.cpuMicrosecondsPerRequest.toFixed(0)} µs of CPU per request. Own time of the hottest functions:\n${rows.join('\n')}\n\nProfile: ${result.files.profile} (Chrome DevTools or speedscope open it)\nFlame graph: ${result.files.flameGraph}\n`,
      );
    }
    process.stdout.write(`\n${run.breakdown}\nBreakdown: ${run.breakdownFile}\n`);
    return run.targets.every((result) => result.errors === 0) ? 0 : 1;
  }
  const report = await runBench(smoke ? SMOKE_RUN : FULL_RUN, smoke ? 'smoke' : 'full', progress);
  const table = await writeReport(report, dir);
  process.stdout.write(`\n${table}\nResults: ${dir}/results.json, chart: ${dir}/chart.svg\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
