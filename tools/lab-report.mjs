#!/usr/bin/env node
// Turns the lab's measurements into a report (`npm run lab`): the rows of
// tmp/lab/claims.jsonl (the claims suite) and tmp/lab/browser.jsonl (the
// browser suite, when it ran), one per claim, the last row of a claim winning.
// Prints the report, writes it to tmp/lab/lab-report.md, and exits 1 when the
// claims file is missing or empty, a line is not a row, or a claim does not hold.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const labDir = join(root, 'tmp', 'lab');
const sources = [
  { file: 'claims.jsonl', required: true },
  { file: 'browser.jsonl', required: false },
];

const problems = [];
const rows = new Map();

for (const { file, required } of sources) {
  const path = join(labDir, file);
  if (!existsSync(path)) {
    if (required) problems.push(`${relative(root, path)} is missing: run the lab suite first`);
    continue;
  }
  const lines = readFileSync(path, 'utf8').split('\n');
  let count = 0;
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const row = parseRow(line);
    if (typeof row === 'string') {
      problems.push(`${file}:${index + 1}: ${row}`);
      return;
    }
    // The last measurement of a claim wins; it keeps the place of the first.
    rows.set(row.claim, row);
    count += 1;
  });
  if (required && count === 0) problems.push(`${file} holds no rows`);
}

for (const row of rows.values()) {
  if (row.result !== 'holds') problems.push(`does not hold: ${row.claim}`);
}

const backendFile = join(labDir, 'backend.txt');
const backend = existsSync(backendFile)
  ? readFileSync(backendFile, 'utf8').trim() || 'unknown'
  : 'unknown';
const screenshots = existsSync(labDir) ? findScreenshots(labDir) : [];

const report = [
  `Lab report of ${new Date().toISOString()}, backend ${backend}.`,
  '',
  '| claim | what was measured | result |',
  '| --- | --- | --- |',
  ...[...rows.values()].map(
    (row) => `| ${cell(row.claim)} | ${cell(row.measured)} | ${cell(row.result)} |`,
  ),
  '',
  screenshots.length === 0 ? 'Screenshots: none.' : 'Screenshots:',
  ...screenshots.map((path) => `- ${path}`),
  '',
].join('\n');

process.stdout.write(report);
if (existsSync(labDir)) {
  writeFileSync(join(labDir, 'lab-report.md'), report);
  process.stdout.write(`\nWritten to ${relative(root, join(labDir, 'lab-report.md'))}.\n`);
}
if (problems.length > 0) {
  process.stderr.write(
    `\nlab-report: ${problems.length} problem(s):\n${problems.map((p) => `- ${p}`).join('\n')}\n`,
  );
  process.exit(1);
}

/** One row `{claim, measured, result}`, or why the line is not one. */
function parseRow(line) {
  let value;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not JSON (${error.message})`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  for (const field of ['claim', 'measured', 'result']) {
    if (typeof value[field] !== 'string' || value[field] === '') return `no "${field}" string`;
  }
  return { claim: value.claim, measured: value.measured, result: value.result };
}

/** A table cell: one line, and a `|` in the text does not end the cell. */
function cell(text) {
  return text
    .replace(/\s*\r?\n\s*/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|');
}

/** The PNG files under `dir`, as paths relative to the workspace root, sorted. */
function findScreenshots(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.toLowerCase().endsWith('.png'))
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}
