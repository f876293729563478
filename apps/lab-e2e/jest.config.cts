/**
 * The lab: each claim of the session-vs-token argument as a test, and the
 * browser matrix in Debian's Chromium. Each spec file starts the built
 * services as processes; files run one at a time. Measurements go to
 * tmp/lab/ for `npm run lab` to report.
 */
module.exports = {
  displayName: 'lab-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: '<rootDir>/../../libs/shared/testing/src/jest-environment.ts',
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  testTimeout: 30_000,
  maxWorkers: 1,
  coverageDirectory: '../../coverage/apps/lab-e2e',
};
