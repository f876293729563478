/**
 * Black-box security suite, one file per standard: each spec file starts the
 * three built services as processes (see @svt/shared/testing `startSystem`),
 * configured for what it attacks (short timeouts, low rate limits). Files run
 * one at a time so that six services at most compete for the CPU.
 */
module.exports = {
  displayName: 'security-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: '<rootDir>/../../libs/shared/testing/src/jest-environment.ts',
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  testTimeout: 30_000,
  maxWorkers: 1,
  coverageDirectory: '../../coverage/apps/security-e2e',
};
