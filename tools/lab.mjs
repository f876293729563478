#!/usr/bin/env node
// `npm run lab`: runs the lab (the claims and the browser matrix, in
// apps/lab-e2e) against freshly started services, then prints the report
// (tools/lab-report.mjs) and leaves it, with screenshots, in tmp/lab/.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args) =>
  spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env }).status ?? 1;

rmSync(join(root, 'tmp', 'lab'), { recursive: true, force: true });
const suites = run('npx', ['nx', 'run', 'lab-e2e:e2e', '--output-style=static', '--skip-nx-cache']);
const report = run(process.execPath, [join(root, 'tools', 'lab-report.mjs')]);
process.exit(suites || report);
