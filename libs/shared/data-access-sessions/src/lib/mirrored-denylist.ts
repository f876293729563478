import { Logger } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { describeError } from '@svt/shared/data-access-sql';
import type { Denial, DenialListener, Denylist, Following } from './denylist';

/** Options for `MirroredDenylist.start`. */
export interface MirroredDenylistOptions {
  /** The clock denials end by (default `Date.now`); the source's, so they agree. */
  readonly now?: () => number;
  /** Where losing and regaining the feed is reported (default a Nest `Logger`). */
  readonly logger?: Pick<LoggerService, 'log' | 'warn'>;
  /** How long to wait before loading again when loading after `resumed` fails (default 1000 ms). */
  readonly reloadRetryMs?: number;
}

/** How often ended denials leave the memory, which stays bounded by the denials in force. */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * A `Denylist` that answers `isDenied` from memory: it follows the denials
 * that every process makes on `source` and keeps those in force in a Map, so
 * the request path makes no round trip to the store.
 *
 * While the feed may have gaps (from `lost()` until the denials in force are
 * loaded again after `resumed()`), it is not *live* and asks `source`
 * instead, which rejects while the store is unreachable: callers fail closed.
 */
export class MirroredDenylist implements Denylist {
  readonly #source: Denylist;
  readonly #now: () => number;
  readonly #logger: Pick<LoggerService, 'log' | 'warn'>;
  readonly #reloadRetryMs: number;
  readonly #until = new Map<string, number>();
  #live = false;
  /** Moved on by every loss and by `close`: a load that one overtook must not go live. */
  #epoch = 0;
  #closed = false;
  #following: Following | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  private constructor(source: Denylist, options: MirroredDenylistOptions) {
    this.#source = source;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? new Logger(MirroredDenylist.name);
    this.#reloadRetryMs = options.reloadRetryMs ?? 1000;
  }

  /**
   * Follows `source`, then loads the denials in force, and resolves once it
   * answers from memory. Rejects (having stopped following) when either
   * fails. The caller closes it.
   */
  static async start(
    source: Denylist,
    options: MirroredDenylistOptions = {},
  ): Promise<MirroredDenylist> {
    const mirror = new MirroredDenylist(source, options);
    await mirror.#start();
    return mirror;
  }

  /** Denies on `source`, and at once in this process, which must not wait for its own feed. */
  async deny(sid: string, until: number): Promise<void> {
    await this.#source.deny(sid, until);
    this.#remember({ sid, until });
  }

  /**
   * From memory when live (no I/O); otherwise from `source`, rejecting as it
   * does while the store is unreachable.
   */
  async isDenied(sid: string): Promise<boolean> {
    return this.isDeniedFromMemory(sid) ?? this.#source.isDenied(sid);
  }

  /** The answer from memory while live; `undefined` while the feed may have gaps. */
  isDeniedFromMemory(sid: string): boolean | undefined {
    if (!this.#live) return undefined;
    const until = this.#until.get(sid);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#until.delete(sid);
    return false;
  }

  /** The source's, which is the truth. */
  inForce(): Promise<Denial[]> {
    return this.#source.inForce();
  }

  /** The source's. */
  follow(listener: DenialListener): Promise<Following> {
    return this.#source.follow(listener);
  }

  /**
   * Stops following and pruning; from then on `isDenied` asks the source.
   * Leaves the source open for its owner. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #start(): Promise<void> {
    // Following first: a denial made while the load runs arrives by the feed,
    // so none can fall between the two.
    this.#following = await this.#source.follow({
      denied: (denial) => this.#remember(denial),
      lost: () => this.#lose(),
      resumed: () => this.#resume(),
    });
    try {
      await this.#load(this.#epoch);
    } catch (error) {
      await this.close();
      throw error;
    }
    this.#pruneTimer = setInterval(() => this.#prune(), PRUNE_INTERVAL_MS);
    // Housekeeping must not keep a process alive that is otherwise done.
    this.#pruneTimer.unref();
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#live = false;
    this.#epoch++;
    clearInterval(this.#pruneTimer);
    clearTimeout(this.#retryTimer);
    await this.#following?.stop();
  }

  /** Loads the denials in force; goes live unless a loss or `close` came meanwhile. */
  async #load(epoch: number): Promise<boolean> {
    const denials = await this.#source.inForce();
    if (epoch !== this.#epoch) return false;
    for (const denial of denials) this.#remember(denial);
    this.#live = true;
    return true;
  }

  #remember({ sid, until }: Denial): void {
    if (this.#closed || until <= this.#now()) return;
    const current = this.#until.get(sid);
    if (current === undefined || until > current) this.#until.set(sid, until);
  }

  #lose(): void {
    if (this.#closed) return;
    this.#epoch++;
    clearTimeout(this.#retryTimer);
    this.#live = false;
    this.#logger.warn(
      'Lost the revocation feed: asking the shared store on every check until it resumes',
    );
  }

  #resume(): void {
    if (this.#closed) return;
    clearTimeout(this.#retryTimer);
    const epoch = this.#epoch;
    const attempt = (): void => {
      this.#load(epoch).then(
        (loaded) => {
          if (loaded) this.#logger.log('The revocation feed resumed: answering from memory again');
        },
        (error: unknown) => {
          if (epoch !== this.#epoch) return;
          this.#logger.warn(
            `Reloading the denylist failed, retrying in ${this.#reloadRetryMs} ms: ${describeError(error)}`,
          );
          this.#retryTimer = setTimeout(attempt, this.#reloadRetryMs);
          this.#retryTimer.unref();
        },
      );
    };
    attempt();
  }

  #prune(): void {
    const now = this.#now();
    for (const [sid, until] of this.#until) {
      if (until <= now) this.#until.delete(sid);
    }
  }
}
