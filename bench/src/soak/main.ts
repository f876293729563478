import { join } from 'node:path';
import { findWorkspaceRoot } from '@svt/shared/testing';
import { runSoak } from './run-soak';
import { parseSoakArgs, SOAK_USAGE } from './settings';
import { SOAK_RESULTS_DIR, writeSoakReport } from './soak-report';

async function main(args: readonly string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write(SOAK_USAGE);
    return 0;
  }
  const parsed = parseSoakArgs(args);
  if ('problems' in parsed) {
    process.stderr.write(`${parsed.problems.join('\n')}\n\n${SOAK_USAGE}`);
    return 2;
  }
  const dir = join(findWorkspaceRoot(), SOAK_RESULTS_DIR);
  const started = Date.now();
  const report = await runSoak(parsed.settings, (line) =>
    process.stderr.write(
      `[soak ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
    ),
  );
  const table = await writeSoakReport(report, dir);
  process.stdout.write(`\n${table}\nResults: ${dir}/results.json, ${dir}/table.md\n`);
  if (report.failures.length > 0) {
    const kinds = report.failures.map(
      (f) => `  ${f.count} × ${f.kind} (${f.phase}); first: ${f.example}`,
    );
    process.stdout.write(`\nFailures by kind:\n${kinds.join('\n')}\n`);
  }
  return report.errors > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `soak failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
