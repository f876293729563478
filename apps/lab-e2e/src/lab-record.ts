import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@svt/shared/testing';

/** Where the lab's artefacts go (git-ignored): claims.jsonl, screenshots, lab-report.md. */
export function labDir(): string {
  const dir = join(findWorkspaceRoot(), 'tmp', 'lab');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** One row of the lab report. */
export interface ClaimRecord {
  /** The claim, as the argument states it. */
  readonly claim: string;
  /** What the test measured, in words and numbers. */
  readonly measured: string;
  /** Whether the measurement bore the claim out. */
  readonly result: 'holds' | 'does not hold';
}

/** Empties tmp/lab/claims.jsonl, so that the report shows this run's rows only. */
export function resetClaims(): void {
  writeFileSync(join(labDir(), 'claims.jsonl'), '');
}

/**
 * Appends a claim's measurement to tmp/lab/claims.jsonl, which
 * `tools/lab-report.mjs` turns into the table. Call it after the assertions,
 * so a row says "holds" only when the test passed.
 */
export function recordClaim(record: ClaimRecord): void {
  appendFileSync(join(labDir(), 'claims.jsonl'), `${JSON.stringify(record)}\n`);
}
