const nxPreset = require('@nx/jest/preset').default;

/**
 * One transform for every project: SWC strips types (the `typecheck` target
 * checks them), keeping decorator metadata for NestJS dependency injection.
 */
module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js'],
  transform: {
    '^.+\\.[tj]s$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // The OpenID libraries ship ES modules only: SWC turns them into CommonJS
  // for jest, as it does the project's own code (Node loads them as they are).
  transformIgnorePatterns: [
    '/node_modules/(?!(oidc-provider|openid-client|oauth4webapi|jose|dpop)/)',
  ],
};
