#!/usr/bin/env node
// Project rules for the Dockerfile and .dockerignore that a syntax linter
// (dockerfile-utils) does not know. Usage: node check-dockerfile.mjs [Dockerfile]
// Exit 1 and one line per broken rule when any fails.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const file = resolve(process.argv[2] ?? 'Dockerfile');
const text = readFileSync(file, 'utf8');
const ignore = readFileSync(join(dirname(file), '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));

// Instructions with their continuation lines joined; comments dropped.
const instructions = text
  .replace(/\\\r?\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
const stages = [];
for (const instruction of instructions) {
  if (instruction.keyword === 'FROM') stages.push([]);
  if (stages.length > 0) stages.at(-1).push(instruction);
}
const final = stages.at(-1) ?? [];
const all = (keyword, list = instructions) => list.filter((i) => i.keyword === keyword);
const SECRET = /(SECRET|PASSWORD|TOKEN|PRIVATE_KEY|DATABASE_URL)/i;

const rules = [
  ['multi-stage build (build tools stay out of the final image)', stages.length >= 2],
  [
    'final stage runs as a non-root user',
    (() => {
      const user = all('USER', final).at(-1)?.args;
      return user !== undefined && !/^(root|0)(:|$)/.test(user);
    })(),
  ],
  [
    'final stage has a HEALTHCHECK',
    all('HEALTHCHECK', final).some((i) => !/^NONE\b/i.test(i.args)),
  ],
  [
    'final stage starts from a slim or alpine base',
    /slim|alpine|distroless/.test(final[0]?.args ?? '') ||
      /ARG NODE_IMAGE=\S*(slim|alpine)/.test(text),
  ],
  [
    'only production dependencies reach the final image (npm prune/ci --omit=dev)',
    /npm (prune|ci|install)[^&;]*--omit=dev/.test(text),
  ],
  [
    'no compiler toolchain installed in the final stage',
    !all('RUN', final).some((i) => /apt-get install|apk add/.test(i.args)),
  ],
  ['no secret set by ENV or ARG', ![...all('ENV'), ...all('ARG')].some((i) => SECRET.test(i.args))],
  [
    'the final stage carries the demo page for the gateway (DEMO_DIR)',
    /DEMO_DIR=/.test(text) && /dist\/apps\/shop-web/.test(text),
  ],
  ['CMD in exec form', all('CMD', final).every((i) => i.args.startsWith('['))],
  ...['.env', '.git', 'node_modules', 'dist', '.data'].map((entry) => [
    `.dockerignore excludes ${entry}`,
    ignore.some((line) => line.replace(/^\*\*\//, '').replace(/\/$/, '') === entry),
  ]),
];

const failed = rules.filter(([, ok]) => !ok);
for (const [name, ok] of rules) process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}\n`);
process.exit(failed.length > 0 ? 1 : 0);
