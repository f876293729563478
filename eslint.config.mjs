import nx from '@nx/eslint-plugin';

/**
 * Module boundaries: a project may import a library only when both its scope
 * and its type allow it. Apps are thin; features compose data access and
 * utilities; `shared` depends on nothing scoped.
 */
const depConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:auth', onlyDependOnLibsWithTags: ['scope:auth', 'scope:shared'] },
  { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'] },
  { sourceTag: 'scope:cart', onlyDependOnLibsWithTags: ['scope:cart', 'scope:shared'] },
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'],
  },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:util'] },
  {
    sourceTag: 'type:feature',
    onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'],
  },
  { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:testing', 'type:util'] },
];

/**
 * Test code (specs and the `testing/` folders that each lib's tsconfig.lib.json
 * leaves out of the build) may also use `type:testing` libraries, which start
 * processes and must never reach production code.
 */
const testDepConstraints = depConstraints.map((constraint) =>
  constraint.sourceTag.startsWith('type:') &&
  !constraint.onlyDependOnLibsWithTags.includes('type:testing')
    ? {
        ...constraint,
        onlyDependOnLibsWithTags: [...constraint.onlyDependOnLibsWithTags, 'type:testing'],
      }
    : constraint,
);

/**
 * The `--scale` part of the bench seeds thousands to millions of records
 * through the stores' own adapters (seeding through argon2 logins would take
 * hours), so it, and no other e2e code, may use data-access libraries.
 */
const scaleBenchDepConstraints = depConstraints.map((constraint) =>
  constraint.sourceTag === 'type:e2e'
    ? {
        ...constraint,
        onlyDependOnLibsWithTags: [...constraint.onlyDependOnLibsWithTags, 'type:data-access'],
      }
    : constraint,
);

/**
 * The service topology (topology.json, read through tools/topology.cjs and typed by its .d.cts) belongs
 * to no project: the e2e harness and the compose-env specs import it by path.
 */
const TOPOLOGY = '^(\\.\\./)+tools/topology\\.cjs$';

const moduleBoundaries = (constraints, allow = []) => [
  'error',
  {
    enforceBuildableLibDependency: true,
    banTransitiveDependencies: true,
    // The root's shared files: ESLint's config, the services' webpack build, the topology.
    allow: [
      '^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$',
      '^.*/webpack\\.service\\.js$',
      TOPOLOGY,
      ...allow,
    ],
    depConstraints: constraints,
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc', '**/.data', '**/tmp', 'coverage'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs', '**/*.cts'],
    rules: { '@nx/enforce-module-boundaries': moduleBoundaries(depConstraints) },
  },
  {
    files: ['**/*.spec.ts', '**/*.test.ts', '**/src/**/testing/**/*.ts'],
    rules: {
      // The deploy check's reader of docker-compose.yml (typed by its .d.cts) and the checks every
      // service shares belong to no project: each service's compose-env.spec.ts imports them by path.
      '@nx/enforce-module-boundaries': moduleBoundaries(testDepConstraints, [
        '^(\\.\\./)+tools/deploy-check/compose-env\\.cjs$',
        '^(\\.\\./)+tools/deploy-check/describe-compose-service$',
      ]),
    },
  },
  {
    files: ['bench/src/scale/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': moduleBoundaries(scaleBenchDepConstraints) },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      // Nest reads constructor and parameter types at run time: an import used
      // only in a decorated signature must stay a value import.
      parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'separate-type-imports' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through the app config schema, not process.env.',
        },
      ],
    },
  },
];
