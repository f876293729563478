import type { ApiResult } from './api.js';
import type { Parsed } from './auth-client.js';
import type { StatusKind } from './view.js';

/** What an action reports on the status line. */
export interface Outcome {
  readonly kind: StatusKind;
  readonly text: string;
}

export const success = (text: string): Outcome => ({ kind: 'success', text });
export const info = (text: string): Outcome => ({ kind: 'info', text });
export const failure = (text: string): Outcome => ({ kind: 'error', text });

export function failed(what: string, result: Exclude<ApiResult, { kind: 'ok' }>): Outcome {
  return failure(
    result.kind === 'problem'
      ? `${what}: ${result.problem.detail} (HTTP ${result.status})`
      : `${what}: no answer from the server.`,
  );
}

export function failedParse<T>(what: string, result: Exclude<Parsed<T>, { kind: 'ok' }>): Outcome {
  return result.kind === 'malformed'
    ? failure(`${what}: the server's answer was not what the page expects.`)
    : failed(what, result);
}
