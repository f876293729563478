/**
 * A smoke run of `npm run bench`: every scenario for a second or so, on the
 * embedded default (and PostgreSQL + Redis when their URLs are set), and one
 * of `npm run bench -- --scale`: every series at two tiny sizes. They check
 * that the harness measures and reports; they hold no thresholds, which only
 * the full runs on a quiet machine can judge.
 */
module.exports = {
  displayName: 'bench',
  preset: '../jest.preset.js',
  testEnvironment: '<rootDir>/../libs/shared/testing/src/jest-environment.ts',
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts', '<rootDir>/src/**/*.spec.ts'],
  testTimeout: 240_000,
  maxWorkers: 1,
  coverageDirectory: '../coverage/bench',
};
