import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePorts, findWorkspaceRoot, readTestEnvironment } from '@svt/shared/testing';

const ROOT = findWorkspaceRoot();
const PACKAGE_DIR = join(ROOT, 'dist/libs/nest-authn');
const PACKAGE_NAME = '@session-vs-token/nest-authn';

/** What the consumer needs besides the tarball: its peers, pinned to the versions the workspace tests with. */
const PEERS = [
  '@fastify/cookie',
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-fastify',
  'fastify',
  'reflect-metadata',
  'rxjs',
] as const;

/** A line of the readable transcript the test prints as it goes. */
export function say(line: string): void {
  process.stdout.write(`[package-e2e] ${line}\n`);
}

/** Runs a command; rejects with its output when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`,
            ),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

function installedVersion(name: string): string {
  const manifest = JSON.parse(
    readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
  ) as { version: string };
  return manifest.version;
}

/** Builds the package (the `nest-authn:package` target's script) and packs it into `into`; the tarball's path. */
export async function buildAndPack(into: string): Promise<string> {
  await run(process.execPath, [join(ROOT, 'libs/nest-authn/scripts/build-package.mjs')], {
    cwd: ROOT,
    env: readTestEnvironment().inherited,
  });
  const packed = await run('npm', ['pack', '--json', '--pack-destination', into], {
    cwd: PACKAGE_DIR,
    env: readTestEnvironment().inherited,
  });
  const [{ filename }] = JSON.parse(packed) as { filename: string }[];
  return join(into, filename);
}

/** The package's README example, the block after `<!-- consumer-example -->`: the consumer's main.ts. */
export function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'libs/nest-authn/README.md'), 'utf8');
  const match = /<!-- consumer-example -->\s*```ts\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('libs/nest-authn/README.md has no <!-- consumer-example --> block');
  return match[1];
}

export interface ConsumerApp {
  readonly dir: string;
  readonly url: string;
  /** Its output so far, for a failure's message. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * A fresh Nest application in a temp folder outside the workspace: a
 * package.json naming the tarball and the peers, the README example as
 * src/main.ts, `npm install` from the npm cache, compiled by tsc against
 * what was installed there. Returns the folder; `start` runs it.
 */
export async function scaffoldConsumer(tarball: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nest-authn-consumer-'));
  if (!relative(ROOT, dir).startsWith('..')) throw new Error(`${dir} is inside the workspace`);
  mkdirSync(join(dir, 'src'));
  const pinned = (names: readonly string[]): Record<string, string> =>
    Object.fromEntries(names.map((name) => [name, installedVersion(name)]));
  const packageDependencies = Object.keys(
    (
      JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      }
    ).dependencies,
  );
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'nest-authn-consumer',
        version: '0.0.0',
        private: true,
        dependencies: {
          [PACKAGE_NAME]: `file:${tarball}`,
          ...pinned(PEERS),
          // The package's own dependencies at the versions the workspace tests: npm's cache has their tarballs.
          ...pinned(packageDependencies),
        },
        devDependencies: pinned(['@types/node']),
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          // node16 resolution reads the package's `exports` map, types condition included.
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          strict: true,
          esModuleInterop: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          // The package's declarations are checked too: they must resolve with what it installs.
          skipLibCheck: false,
          types: ['node'],
          rootDir: 'src',
          outDir: 'dist',
        },
        include: ['src'],
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, 'src/main.ts'), readmeExample());
  return dir;
}

/**
 * `npm install` from the npm cache. Install scripts are skipped: the one that
 * matters, better-sqlite3's native build (about 90 s here), is replaced by the
 * workspace's build of the same version for the same Node.
 */
export async function installConsumer(dir: string): Promise<void> {
  await run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
    ],
    { cwd: dir, env: readTestEnvironment().inherited },
  );
  const binary = 'build/Release/better_sqlite3.node';
  const target = join(dir, 'node_modules/better-sqlite3', binary);
  mkdirSync(join(target, '..'), { recursive: true });
  copyFileSync(join(ROOT, 'node_modules/better-sqlite3', binary), target);
}

/** tsc, the workspace's compiler, on the consumer's sources and its node_modules alone. */
export async function compileConsumer(dir: string): Promise<void> {
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], {
    cwd: dir,
    env: readTestEnvironment().inherited,
  });
}

/** Starts the compiled consumer with `env` and resolves once it answers. */
export async function startConsumer(
  dir: string,
  env: Record<string, string>,
): Promise<ConsumerApp> {
  const [port] = await findFreePorts(1);
  const child: ChildProcess = spawn(process.execPath, ['dist/main.js'], {
    cwd: dir,
    env: {
      ...readTestEnvironment().inherited,
      NO_COLOR: '1',
      ...env,
      PORT: String(port),
      APP_ORIGIN: `http://127.0.0.1:${port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const app: ConsumerApp = {
    dir,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
  const deadline = Date.now() + 20_000;
  while (!output.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await app.stop();
      throw new Error(`the consumer app did not start:\n${output}`);
    }
    await sleep(50);
  }
  return app;
}

/** The installed package's files that name a workspace path alias (`@svt/…`): none, or a consumer could not resolve them. */
export function filesNamingWorkspaceAliases(dir: string): string[] {
  const installed = join(dir, 'node_modules', PACKAGE_NAME);
  const walk = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(folder, entry.name)) : [join(folder, entry.name)],
    );
  return walk(installed)
    .filter((file) => readFileSync(file, 'utf8').includes('@svt/'))
    .map((file) => relative(installed, file));
}

/** What `import { … } from` the package gives an ES module of the consumer: the types of its exports. */
export async function importFromEsm(
  dir: string,
  names: readonly string[],
): Promise<Record<string, string>> {
  const script = `import * as kit from '${PACKAGE_NAME}';\nconst names = ${JSON.stringify(names)};\nconsole.log(JSON.stringify(Object.fromEntries(names.map((n) => [n, typeof kit[n]]))));\n`;
  writeFileSync(join(dir, 'esm-check.mjs'), script);
  const output = await run(process.execPath, ['esm-check.mjs'], {
    cwd: dir,
    env: readTestEnvironment().inherited,
  });
  return JSON.parse(output) as Record<string, string>;
}

/** Removes the consumer's folder. */
export function removeConsumer(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
