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

/**
 * Whether .dockerignore keeps a top-level entry out of the context: listed,
 * or everything (`**`) excluded first and the entry never let back in.
 */
function excluded(entry) {
  const plain = (line) => line.replace(/^\*\*\//, '').replace(/\/$/, '');
  if (ignore[0] === '**')
    return !ignore.some((line) => line.startsWith('!') && plain(line.slice(1)) === entry);
  return ignore.some((line) => plain(line) === entry);
}
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
  [
    'no `# syntax=` directive (BuildKit would fetch its frontend from Docker Hub)',
    !/^#\s*syntax\s*=/im.test(text),
  ],
  [
    'every stage starts from ${NODE_IMAGE} (a stand-in base can replace it)',
    stages.every((stage) => /^\$\{NODE_IMAGE\}(\s|$)/.test(stage[0].args)),
  ],
  [
    'nx runs with npx --no-install (never a silent download after a failed npm ci)',
    /npx --no-install nx /.test(text) && !/npx (?!--no-install)\S*\s*nx /.test(text),
  ],
  [
    "node-gyp builds against the image's own Node headers (npm_config_nodedir)",
    /npm_config_nodedir=/.test(text),
  ],
  ...['.env', '.git', 'node_modules', 'dist', '.data', 'docs', 'README.md'].map((entry) => [
    `.dockerignore keeps ${entry} out`,
    excluded(entry),
  ]),
];

const failed = rules.filter(([, ok]) => !ok);
for (const [name, ok] of rules) process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}\n`);
process.exit(failed.length > 0 ? 1 : 0);
