// Runs in the image build, on one service's production node_modules (installed
// from the package.json and lock file Nx generates for it): deletes what Node
// never loads at run time, so that each image adds about 40 MB to the Node base.
//   node prune-node-modules.cjs <node_modules>
// Every rule names what it removes and why nothing requires it; the compose
// test (npm run test:compose) runs the whole Postman collection on the result.
'use strict';
const { readdirSync, rmSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = process.argv[2];
if (!root) {
  console.error('usage: node prune-node-modules.cjs <node_modules>');
  process.exit(64);
}

/** Files no `require` of a JavaScript module loads: types, maps, sources, prose. */
const DEAD_FILE = /(\.d\.[cm]?ts|\.tsbuildinfo|\.map|\.md|\.markdown|(?<!\.d)\.ts)$/i;
/** Folders that packages ship for their own development. */
const DEAD_DIR = new Set(['test', 'tests', '__tests__', 'docs', 'example', 'examples', '.github']);

/**
 * Builds that CommonJS `require` never resolves to (browser bundles, ES module
 * copies), or leftovers of compiling a native addon. Paths under `root`.
 */
const DEAD_PATHS = [
  // Types only.
  '@types',
  // better-sqlite3 loads build/Release/better_sqlite3.node; the rest is its compile.
  'better-sqlite3/deps',
  'better-sqlite3/src',
  'better-sqlite3/build/deps',
  'better-sqlite3/build/Release/obj',
  'better-sqlite3/build/Release/obj.target',
  'better-sqlite3/build/Release/.deps',
  'better-sqlite3/build/Release/sqlite3.a',
  'better-sqlite3/build/Release/test_extension.node',
  // argon2 loads build/Release/argon2.node, compiled in the image (its
  // prebuilt binaries for other platforms and its C sources stay behind).
  'argon2/prebuilds',
  'argon2/argon2',
  'argon2/argon2.cpp',
  'argon2/build/Release/obj.target',
  'argon2/build/Release/.deps',
  'argon2/build/Release/argon2.a',
  // `require('rxjs')` resolves to dist/cjs.
  'rxjs/dist/esm',
  'rxjs/dist/esm5',
  'rxjs/dist/bundles',
  'rxjs/src',
  // `require('libphonenumber-js')` (class-validator) resolves to build/.
  'libphonenumber-js/bundle',
  'libphonenumber-js/es6',
  'libphonenumber-js/es6-modern',
  'libphonenumber-js/source',
  // TypeScript sources beside the compiled packages.
  'zod/src',
];

/** Swagger UI: the service serves swagger-ui.css and swagger-ui-bundle.js only (util-http openapi.ts). */
const SWAGGER_UI_KEEP = new Set([
  'package.json',
  'index.js',
  'absolute-path.js',
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'LICENSE',
  'NOTICE',
]);

function sizeOf(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

function remove(path) {
  rmSync(path, { recursive: true, force: true });
}

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (DEAD_DIR.has(entry.name)) remove(path);
      else walk(path);
    } else if (DEAD_FILE.test(entry.name)) {
      remove(path);
    }
  }
}

const before = sizeOf(root);
for (const path of DEAD_PATHS) remove(join(root, path));
for (const dir of [
  join(root, 'swagger-ui-dist'),
  join(root, '@nestjs/swagger/node_modules/swagger-ui-dist'),
]) {
  for (const name of statSync(dir, { throwIfNoEntry: false }) ? readdirSync(dir) : []) {
    if (!SWAGGER_UI_KEEP.has(name)) remove(join(dir, name));
  }
}
walk(root);
const after = sizeOf(root);
const mb = (bytes) => (bytes / 1e6).toFixed(1);
console.log(`node_modules: ${mb(before)} MB → ${mb(after)} MB`);
