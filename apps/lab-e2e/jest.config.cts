/**
 * The lab: each claim of the session-vs-token argument as a test, and the
 * browser matrix in Debian's Chromium. Each spec file starts the built
 * services as processes; files run one at a time. Measurements go to
 * tmp/lab/ for `npm run lab` to report.
 *
 * The browser specs need Debian's Chromium (`apt-get install chromium`):
 * without it they are skipped, loudly, except in CI, where .ci/run installs
 * it and its absence is an error.
 */
const { existsSync } = require('node:fs');

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === 'true') {
  throw new Error(`lab-e2e: no Chromium at ${CHROMIUM}; .ci/run installs it with apt`);
}
if (!hasChromium) {
  console.warn(
    `\nSKIPPED: browser suite (apps/lab-e2e/src/browser-*) — no Chromium at ${CHROMIUM}; install it with: sudo apt-get install chromium\n`,
  );
}

module.exports = {
  displayName: 'lab-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: '<rootDir>/../../libs/shared/testing/src/jest-environment.ts',
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  testPathIgnorePatterns: hasChromium ? [] : ['/src/browser-'],
  testTimeout: 30_000,
  maxWorkers: 1,
  coverageDirectory: '../../coverage/apps/lab-e2e',
};
