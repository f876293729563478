import { setTimeout as sleep } from 'node:timers/promises';
import { describeResponse } from './http-client';
import type { HttpResponse } from './http-client';

/** One kind of request a traffic loop sends; a non-2xx answer or a throw is a failure. */
export type TrafficRequest = () => Promise<HttpResponse<unknown>>;

/** What a traffic run saw, per kind of request. */
export interface TrafficReport {
  /** Requests answered 2xx, by name. */
  readonly succeeded: Readonly<Record<string, number>>;
  /** Every failed request: its name and what came back (status and body, or the error). */
  readonly failures: readonly string[];
}

/** Traffic that runs until stopped. */
export interface Traffic {
  /** Successes so far of the request named `name`, e.g. to wait until a kind has run. */
  succeeded(name: string): number;
  /** Ends every loop after its request in flight and resolves what they saw. Idempotent. */
  stop(): Promise<TrafficReport>;
}

/** Failures listed in a report; past that, only counted. */
const MAX_LISTED_FAILURES = 20;

/**
 * Steady traffic for a drill: `loops` loops of each named request, each
 * sending its next request `pauseMs` after the previous one was answered,
 * until `stop()`. A drill injects its fault meanwhile and asserts on the
 * report, typically that `failures` is empty.
 */
export function startTraffic(
  requests: Readonly<Record<string, TrafficRequest>>,
  { loops = 2, pauseMs = 0 }: { loops?: number; pauseMs?: number } = {},
): Traffic {
  const succeeded: Record<string, number> = {};
  const failures: string[] = [];
  let failed = 0;
  let running = true;
  const record = (failure: string): void => {
    failed += 1;
    if (failures.length < MAX_LISTED_FAILURES) failures.push(failure);
  };
  const loop = async (name: string, send: TrafficRequest): Promise<void> => {
    succeeded[name] ??= 0;
    while (running) {
      try {
        const response = await send();
        if (response.status >= 200 && response.status < 300) succeeded[name] += 1;
        else record(`${name}: ${describeResponse(response)}`);
      } catch (error) {
        record(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (pauseMs > 0 && running) await sleep(pauseMs);
    }
  };
  const all = Object.entries(requests).flatMap(([name, send]) =>
    Array.from({ length: loops }, () => loop(name, send)),
  );
  let stopped: Promise<TrafficReport> | undefined;
  return {
    succeeded: (name) => succeeded[name] ?? 0,
    stop: () => {
      running = false;
      stopped ??= Promise.all(all).then(() => ({
        succeeded: { ...succeeded },
        failures:
          failed > failures.length
            ? [...failures, `… and ${failed - failures.length} more`]
            : [...failures],
      }));
      return stopped;
    },
  };
}
