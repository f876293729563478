/**
 * The consumer test of the nest-authn package: builds and packs it, installs
 * the tarball into a fresh Nest application outside the workspace, and drives
 * that application against the three services (see @svt/shared/testing
 * `startSystem`).
 */
module.exports = {
  displayName: 'package-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: '<rootDir>/../../libs/shared/testing/src/jest-environment.ts',
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  testTimeout: 30_000,
  maxWorkers: 1,
  coverageDirectory: '../../coverage/apps/package-e2e',
};
