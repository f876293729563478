/**
 * A smoke run of `npm run bench`: every scenario for a second or so, on the
 * embedded default (and PostgreSQL + Redis when their URLs are set). It
 * checks that the harness measures and reports; it holds no thresholds,
 * which only the full run on a quiet machine can judge.
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
