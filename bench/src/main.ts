import { join } from 'node:path';
import { findWorkspaceRoot } from '@svt/shared/testing';
import { runProfile } from './profile/run-profile';
import { runBench } from './run-bench';
import { FULL_RUN, SMOKE_RUN } from './scenarios';
import { publishReport, RESULTS_DIR, writeReport } from './write-report';

const USAGE = `npm run bench [-- --smoke] [-- --publish] [-- --profile]

  (no flag)   every scenario, about 5 minutes (6–7 with PostgreSQL + Redis); results in ${RESULTS_DIR}/
  --smoke     every scenario once for a second: checks the harness, proves nothing
  --publish   put the last results into docs/benchmarks.md and docs/bench/chart.svg
  --profile   the gateway's CPU profile while it forwards Bearer requests (20 s), and its
              flame graph, in ${RESULTS_DIR}/profile/
`;

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((a) => !['--smoke', '--publish', '--profile'].includes(a));
  if (unknown.length > 0 || args.includes('--help')) {
    process.stderr.write(`unknown argument: ${unknown.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  const root = findWorkspaceRoot();
  const dir = join(root, RESULTS_DIR);
  if (args.includes('--publish')) {
    await publishReport(dir, root);
    process.stdout.write(`docs/benchmarks.md and docs/bench/chart.svg now show ${dir}/table.md\n`);
    return 0;
  }
  const smoke = args.includes('--smoke');
  const started = Date.now();
  const progress = (line: string): boolean =>
    process.stderr.write(
      `[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
    );
  if (args.includes('--profile')) {
    const result = await runProfile(join(dir, 'profile'), smoke ? 2 : 20, progress);
    const rows = result.hottest.map(
      ({ name, share }) => `${(share * 100).toFixed(1).padStart(5)} %  ${name}`,
    );
    process.stdout.write(
      `\n${result.requests} requests, ${result.errors} errors. Own time of the hottest functions:\n${rows.join('\n')}\n\nProfile: ${result.files.profile} (Chrome DevTools or speedscope open it)\nFlame graph: ${result.files.flameGraph}\n`,
    );
    return result.errors === 0 ? 0 : 1;
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
