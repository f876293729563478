import NodeEnvironment from 'jest-environment-node';

/** Must equal `FAILURES_GLOBAL` in lib/start-system.ts (not imported: this file loads outside the test's module registry). */
const FAILURES_GLOBAL = '__SVT_E2E_FAILURES__';

/**
 * The node environment plus a failure count the harness reads in `stop()`,
 * so a file whose tests failed prints the services' output and a green one
 * stays quiet. Use as `testEnvironment` in an e2e project's jest config.
 */
export default class E2eEnvironment extends NodeEnvironment {
  handleTestEvent(event: { name: string }): void {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') {
      const current = Number(this.global[FAILURES_GLOBAL] ?? 0);
      this.global[FAILURES_GLOBAL] = current + 1;
    }
  }
}
