/**
 * Fault drills: each dependency is broken while the services run, through a
 * fault-injecting proxy, and the answers, the health checks and the recovery
 * are asserted. The Redis and PostgreSQL drills need both servers
 * (DATABASE_URL and REDIS_URL) and say loudly when skipped.
 */
module.exports = {
  displayName: 'drills-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: '<rootDir>/../../libs/shared/testing/src/jest-environment.ts',
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  testTimeout: 60_000,
  maxWorkers: 1,
  coverageDirectory: '../../coverage/apps/drills-e2e',
};
