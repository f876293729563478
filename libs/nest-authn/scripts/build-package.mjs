// Builds the npm package in dist/libs/nest-authn: the JavaScript of the
// package's entry and of the workspace libraries it uses, bundled into one
// CommonJS file with every npm package left as a `require`; the TypeScript
// declarations, with the workspace's path aliases turned into relative paths;
// package.json, README and CHANGELOG. Fails when the output still names a
// workspace alias or requires a package that package.json does not declare.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const webpack = require('webpack');
const ts = require('typescript');

const LIB = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(LIB, '../..');
const OUT = join(ROOT, 'dist/libs/nest-authn');
const TYPES = join(OUT, 'types');
const WORKSPACE_ALIAS = /^@svt\//;

const aliases = Object.entries(
  JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8')).compilerOptions.paths,
).map(([alias, [target]]) => [alias, join(ROOT, target)]);

rmSync(OUT, { recursive: true, force: true });
await bundle();
declarations();
esmEntry();
const manifest = JSON.parse(readFileSync(join(LIB, 'package.json'), 'utf8'));
writeFileSync(join(OUT, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
for (const file of ['README.md', 'CHANGELOG.md']) copyFileSync(join(LIB, file), join(OUT, file));
checkRequires(manifest);
checkNoWorkspaceAlias();
process.stdout.write(
  `nest-authn: ${manifest.name}@${manifest.version} built in ${relative(ROOT, OUT)}\n`,
);

/** The JavaScript: workspace sources bundled (tree-shaken), npm packages external. */
function bundle() {
  const config = {
    mode: 'production',
    target: 'node20',
    context: ROOT,
    entry: join(LIB, 'src/index.ts'),
    devtool: false,
    output: {
      path: OUT,
      filename: 'index.js',
      library: { type: 'commonjs2' },
    },
    resolve: {
      extensions: ['.ts', '.js'],
      // Exact matches: `@svt/x` and `@svt/x/testing` are different entries.
      alias: Object.fromEntries(aliases.map(([alias, target]) => [`${alias}$`, target])),
    },
    externalsPresets: { node: true },
    externals: [
      ({ request }, callback) =>
        /^[./]/.test(request) || WORKSPACE_ALIAS.test(request)
          ? callback()
          : callback(null, `commonjs ${request}`),
    ],
    module: {
      rules: [
        {
          test: /\.ts$/,
          // Types are checked by the workspace's typecheck; ES modules let webpack drop what the entry does not use.
          loader: join(LIB, 'scripts/swc-loader.cjs'),
          // The workspace libraries' modules act only through their exports, so
          // the barrels' unused parts (and their npm imports) stay out.
          sideEffects: false,
        },
      ],
    },
    optimization: {
      minimize: false,
      usedExports: true,
      sideEffects: true,
      concatenateModules: true,
    },
    performance: { hints: false },
  };
  return new Promise((done, fail) =>
    webpack(config, (error, stats) => {
      if (error) return fail(error);
      if (stats.hasErrors()) return fail(new Error(stats.toString('errors-only')));
      done();
    }),
  );
}

/** The declarations: tsc's, with each `@svt/…` import made relative to the emitted tree. */
function declarations() {
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', join(LIB, 'tsconfig.package.json')],
    { stdio: 'inherit', cwd: ROOT },
  );
  for (const file of walk(TYPES).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8');
    const rewritten = text.replace(/(["'])(@svt\/[^"']+)\1/g, (whole, quote, specifier) => {
      const found = aliases.find(([alias]) => alias === specifier);
      if (!found) return whole;
      const target = join(TYPES, relative(ROOT, found[1])).replace(/\.ts$/, '');
      let path = relative(dirname(file), target).split(sep).join('/');
      if (!path.startsWith('.')) path = `./${path}`;
      return `${quote}${path}${quote}`;
    });
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
  writeFileSync(join(OUT, 'index.d.ts'), "export * from './types/libs/nest-authn/src/index';\n");
  pruneDeclarations(join(TYPES, 'libs/nest-authn/src/index.d.ts'));
}

/**
 * Keeps of the workspace libraries' declarations only what the package's
 * entry reaches. Their barrels (`index.d.ts`) re-export whole libraries, of
 * which the package uses a part: the rest would make a consumer's compiler
 * look for packages the package does not install (`@nestjs/swagger`…). Each
 * barrel keeps the re-exports of names something kept imports; a file no
 * kept file imports is deleted.
 */
function pruneDeclarations(entry) {
  const parsed = new Map();
  const parse = (file) => {
    if (!parsed.has(file)) {
      const text = readFileSync(file, 'utf8');
      parsed.set(file, ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true));
    }
    return parsed.get(file);
  };
  const isBarrel = (file) =>
    file !== entry &&
    parse(file).statements.every((s) => ts.isExportDeclaration(s) && s.moduleSpecifier);
  const resolveIn = (from, specifier) =>
    specifier.startsWith('.') ? `${resolve(dirname(from), specifier)}.d.ts` : null;
  /** file → the names wanted of it ('*': all of it). */
  const wanted = new Map();
  const queue = [];
  const want = (file, names) => {
    const known = wanted.get(file) ?? new Set();
    const added = names.filter((name) => !known.has(name));
    if (wanted.has(file) && added.length === 0) return;
    added.forEach((name) => known.add(name));
    wanted.set(file, known);
    queue.push(file);
  };
  want(entry, ['*']);
  while (queue.length > 0) {
    const file = queue.shift();
    const names = wanted.get(file);
    const barrel = isBarrel(file);
    for (const statement of parse(file).statements) {
      const to = statement.moduleSpecifier && resolveIn(file, statement.moduleSpecifier.text);
      if (!to) continue;
      if (ts.isExportDeclaration(statement)) {
        const elements = statement.exportClause?.elements;
        if (!elements) {
          want(to, ['*']);
          continue;
        }
        const picked = elements.filter((e) => !barrel || names.has('*') || names.has(e.name.text));
        if (picked.length > 0)
          want(
            to,
            picked.map((e) => (e.propertyName ?? e.name).text),
          );
      } else if (ts.isImportDeclaration(statement)) {
        const bindings = statement.importClause?.namedBindings;
        want(
          to,
          bindings && ts.isNamedImports(bindings)
            ? bindings.elements.map((e) => (e.propertyName ?? e.name).text)
            : ['*'],
        );
      }
    }
  }
  for (const file of walk(TYPES).filter((f) => f.endsWith('.d.ts'))) {
    const names = wanted.get(file);
    if (!names) {
      rmSync(file);
    } else if (isBarrel(file) && !names.has('*')) {
      const source = parse(file);
      const kept = source.statements.flatMap((statement) => {
        const elements = statement.exportClause.elements.filter((e) => names.has(e.name.text));
        if (elements.length === 0) return [];
        const list = elements.map((e) => e.getText(source)).join(', ');
        const type = statement.isTypeOnly ? 'type ' : '';
        return [`export ${type}{ ${list} } from '${statement.moduleSpecifier.text}';`];
      });
      writeFileSync(file, `${kept.join('\n')}\n`);
    }
  }
}

/**
 * `index.mjs`, for `import { … } from` in ES modules: Node cannot find the
 * names of a webpack bundle's exports, so this entry names them, re-exporting
 * the one CommonJS instance (no second copy of the module's state).
 */
function esmEntry() {
  const names = Object.keys(require(join(OUT, 'index.js'))).sort();
  writeFileSync(
    join(OUT, 'index.mjs'),
    `import kit from './index.js';\n\nexport const { ${names.join(', ')} } = kit;\n`,
  );
}

/** Every `require()` of the bundle is a Node built-in or a declared dependency. */
function checkRequires(manifest) {
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  const code = readFileSync(join(OUT, 'index.js'), 'utf8');
  const undeclared = [...code.matchAll(/require\("([^"]+)"\)/g)]
    .map(([, request]) => request)
    .filter((request) => !request.startsWith('node:') && !builtinModules.includes(request))
    .map((request) =>
      request
        .split('/')
        .slice(0, request.startsWith('@') ? 2 : 1)
        .join('/'),
    )
    .filter((name) => !declared.has(name));
  if (undeclared.length > 0) {
    throw new Error(
      `nest-authn: the bundle requires undeclared packages: ${[...new Set(undeclared)].join(', ')}`,
    );
  }
}

/** No file of the package may name a workspace alias: a consumer could not resolve it. */
function checkNoWorkspaceAlias() {
  const offenders = walk(OUT).filter((file) => readFileSync(file, 'utf8').includes('@svt/'));
  if (offenders.length > 0) {
    throw new Error(
      `nest-authn: the package still names @svt/ in ${offenders.map((f) => relative(OUT, f)).join(', ')}`,
    );
  }
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
