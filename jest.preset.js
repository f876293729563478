const nxPreset = require('@nx/jest/preset').default;

/**
 * One transform for every project: SWC strips types (the `typecheck` target
 * checks them), keeping decorator metadata for NestJS dependency injection.
 */
module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js'],
  // openid-client, oauth4webapi and jose are ESM-only: transformed to CommonJS
  // like the sources, for every project whose tests load single sign-on.
  transformIgnorePatterns: ['/node_modules/(?!(jose|openid-client|oauth4webapi)/)'],
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
};
