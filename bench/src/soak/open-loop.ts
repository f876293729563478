import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from '../load';

/**
 * What went wrong with one request, null when nothing did: a short `reason`
 * shared by failures of a kind, and a `detail` such as the whole answer.
 */
export type Failure = { readonly reason: string; readonly detail: string } | null;

/** One operation's schedule: so many requests per second, evenly spaced. */
export interface Schedule<Op extends string> {
  readonly operation: Op;
  readonly perSecond: number;
}

/** What one operation's requests came to. */
export interface OperationTally {
  /** Requests due (sent, or refused at the in-flight cap). */
  count: number;
  errors: number;
  /** Send to full answer, ms, of every request sent. */
  readonly latencies: number[];
}

/** Counts of one phase of the run (the warm-up, the measured time). */
export class Tally<Op extends string> {
  readonly operations = new Map<Op, OperationTally>();
  /** How late requests were sent against their schedule, ms: the load generator's own lag. */
  readonly lags: number[] = [];
  /** Failures by operation and reason, each with the first answer of its kind. */
  readonly failures = new Map<string, { count: number; example: string }>();

  constructor(operations: readonly Op[]) {
    for (const operation of operations) {
      this.operations.set(operation, { count: 0, errors: 0, latencies: [] });
    }
  }

  get count(): number {
    return this.sum((tally) => tally.count);
  }

  get errors(): number {
    return this.sum((tally) => tally.errors);
  }

  record(operation: Op, failure: Failure, latencyMs?: number): void {
    const tally = this.of(operation);
    tally.count += 1;
    if (latencyMs !== undefined) tally.latencies.push(latencyMs);
    if (failure !== null) {
      tally.errors += 1;
      const kind = `${operation}: ${failure.reason}`;
      const seen = this.failures.get(kind);
      if (seen) seen.count += 1;
      else this.failures.set(kind, { count: 1, example: failure.detail });
    }
  }

  /** Every sent request's latency, every operation together. */
  latencies(): number[] {
    return [...this.operations.values()].flatMap((tally) => tally.latencies);
  }

  lagPercentile(fraction: number): number {
    return percentile(this.lags, fraction);
  }

  private of(operation: Op): OperationTally {
    const tally = this.operations.get(operation);
    if (!tally) throw new TypeError(`not an operation of this tally: ${operation}`);
    return tally;
  }

  private sum(part: (tally: OperationTally) => number): number {
    let total = 0;
    for (const tally of this.operations.values()) total += part(tally);
    return total;
  }
}

/**
 * Open-loop load: every request starts when its schedule says, whether or not
 * earlier ones have answered, so a slow system meets the same arrivals rather
 * than fewer (the closed loop of autocannon's connections would wait for it).
 * What is pending is capped: a request due at the cap is not sent and counts
 * as an error, since the system no longer keeps up with the rate.
 */
export class OpenLoop<Op extends string> {
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly maxInFlight: number,
    private readonly send: (operation: Op) => Promise<Failure>,
  ) {}

  /** Requests pending right now. */
  get pendingRequests(): number {
    return this.inFlight;
  }

  /**
   * Runs `schedules` for `seconds`, recording into `tally`; resolves when the
   * last request is due (those still pending finish into the same tally).
   */
  async run(schedules: readonly Schedule<Op>[], seconds: number, tally: Tally<Op>): Promise<void> {
    const start = performance.now();
    const end = start + seconds * 1000;
    const active = schedules.filter((s) => s.perSecond > 0);
    // Operations start spread over their first interval, not all at once.
    const next = active.map((s, i) => start + ((1000 / s.perSecond) * i) / active.length);
    for (;;) {
      const due = Math.min(...next);
      if (!(due < end)) return;
      const now = performance.now();
      if (due > now) await sleep(due - now);
      const firing = performance.now();
      active.forEach((schedule, i) => {
        const interval = 1000 / schedule.perSecond;
        // Late timers fire every request that fell due meanwhile: the rate holds.
        while ((next[i] ?? end) <= firing && (next[i] ?? end) < end) {
          this.fire(schedule.operation, next[i] ?? firing, tally);
          next[i] = (next[i] ?? firing) + interval;
        }
      });
    }
  }

  /** Waits for the pending requests, `timeoutMs` at most; resolves how many were left. */
  async drain(timeoutMs: number): Promise<number> {
    const timer = new AbortController();
    const timeout = sleep(timeoutMs, undefined, { signal: timer.signal }).catch(() => undefined);
    await Promise.race([Promise.all([...this.pending]), timeout]);
    timer.abort();
    return this.inFlight;
  }

  private fire(operation: Op, scheduledAt: number, tally: Tally<Op>): void {
    if (this.inFlight >= this.maxInFlight) {
      const reason = `not sent: ${this.maxInFlight} requests already pending`;
      tally.record(operation, { reason, detail: reason });
      return;
    }
    const sentAt = performance.now();
    tally.lags.push(sentAt - scheduledAt);
    this.inFlight += 1;
    const request = this.send(operation).then(
      (failure) => tally.record(operation, failure, performance.now() - sentAt),
      (error: unknown) => {
        const reason = `no answer: ${error instanceof Error ? error.message : String(error)}`;
        tally.record(operation, { reason, detail: reason }, performance.now() - sentAt);
      },
    );
    const settled = request.finally(() => {
      this.inFlight -= 1;
      this.pending.delete(settled);
    });
    this.pending.add(settled);
  }
}
