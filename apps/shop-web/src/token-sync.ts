import type { Parsed, TokenPair } from './auth-client.js';
import { NewestPairRecord } from './newest-pair-record.js';

/**
 * One token login shared by every tab of the page, refreshed by one tab at a
 * time. A refresh token is spent by its refresh: two tabs refreshing the same
 * one at once is, to the server, a stolen token replayed (RFC 9700 §4.14.2),
 * and only its grace window for a lost response would hide it. So:
 *
 * - a refresh runs under a Web Lock, which the browser grants to one tab of
 *   the origin at a time;
 * - each new pair is posted on a BroadcastChannel, which reaches this
 *   origin's other tabs and nothing else, and every tab adopts it;
 * - a tab that gets the lock first checks that its access token is still the
 *   newest one, and refreshes only then: one refresh for each expiry.
 *
 * The tokens stay in memory, as before: a channel message is never stored.
 * What the tabs record in IndexedDB is the id of the newest pair (a random
 * name the page gives it, never a token), because a channel message is not
 * ordered with the lock: the next tab can be granted the lock before the
 * message with the new pair reaches it, while an IndexedDB write committed
 * before the lock's release is seen by whoever takes it next.
 *
 * Without `navigator.locks` (or with `?refresh-lock=off`, the lab's control)
 * each tab refreshes on its own, as the page did before: the pairs are still
 * shared, but two tabs may spend the same refresh token.
 */

/** A pair as the tabs share it, with what the page adds to it. */
export interface HeldPair {
  readonly tokens: TokenPair;
  /** A random name for this pair, the same in every tab. */
  readonly id: string;
  /** When the pair arrived from the server, on this browser's clock. */
  readonly receivedAt: number;
  /** When its access token expires, on this browser's clock. */
  readonly expiresAt: number;
}

/** How a call to `refresh()` ended. */
export type RefreshOutcome =
  | { readonly kind: 'refreshed'; readonly tokens: TokenPair }
  | { readonly kind: 'adopted'; readonly tokens: TokenPair }
  | { readonly kind: 'no-tokens' }
  | { readonly kind: 'failed'; readonly result: Exclude<Parsed<TokenPair>, { kind: 'ok' }> }
  | { readonly kind: 'lost' };

export interface TokenSyncOptions {
  /** Which login this is (`bearer`): names the lock, the channel and the record. */
  readonly name: string;
  /** Spends a refresh token for a new pair. */
  readonly refresh: (refreshToken: string) => Promise<Parsed<TokenPair>>;
  /** Called whenever the pair this tab holds changes, whoever changed it. */
  readonly onChange: (tokens: TokenPair | null) => void;
  /** `false`: no lock, even where the browser has one (the lab's control run). */
  readonly useLock: boolean;
}

type Message =
  | { readonly type: 'pair'; readonly pair: HeldPair }
  | { readonly type: 'signed-out'; readonly at: number }
  | { readonly type: 'ask' };

/** How long before its expiry a pair is refreshed: a quarter of its life, at most a minute. */
const MAX_LEAD_MS = 60_000;
/** A refresh that found no answer is tried again after this long. */
const RETRY_MS = 5_000;
/** How long a tab waits for a pair another tab announced, before asking for it again. */
const PAIR_WAIT_MS = 2_000;

export class TokenSync {
  private held: HeldPair | null = null;
  /** Pairs older than the last sign-out are stale news: ignored. */
  private signedOutAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: { readonly id: string; readonly outcome: Promise<RefreshOutcome> } | null =
    null;
  private readonly waiters = new Set<(pair: HeldPair) => void>();
  private readonly channel: BroadcastChannel | null;
  private readonly locks: LockManager | null;
  private readonly record: NewestPairRecord;

  constructor(private readonly options: TokenSyncOptions) {
    this.channel =
      typeof BroadcastChannel === 'function'
        ? new BroadcastChannel(`shop-web:tokens:${options.name}`)
        : null;
    this.channel?.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (isMessage(event.data)) this.receive(event.data);
    });
    this.locks = options.useLock && 'locks' in navigator ? navigator.locks : null;
    this.record = new NewestPairRecord(options.name);
    // A tab opened after the login asks the others for the pair they hold.
    this.post({ type: 'ask' });
  }

  /** Whether refreshes are coordinated across tabs (a Web Lock is available and wanted). */
  get coordinated(): boolean {
    return this.locks !== null;
  }

  current(): TokenPair | null {
    return this.held?.tokens ?? null;
  }

  /** A new login: every tab of the page now holds this pair. */
  async signedIn(tokens: TokenPair): Promise<void> {
    const pair = heldPair(tokens);
    await this.record.write(pair.id);
    this.adopt(pair);
    this.post({ type: 'pair', pair });
  }

  /** A logout (or a refused refresh): every tab drops the pair. */
  async signedOut(): Promise<void> {
    await this.record.write(null);
    this.drop(Date.now());
    this.post({ type: 'signed-out', at: this.signedOutAt });
  }

  /**
   * Refreshes the pair this tab holds, unless another tab already did:
   * then this tab uses that tab's pair. A second call while one is running
   * shares its outcome.
   */
  refresh(): Promise<RefreshOutcome> {
    const expiring = this.held;
    if (!expiring) return Promise.resolve({ kind: 'no-tokens' });
    if (this.inFlight?.id === expiring.id) return this.inFlight.outcome;
    const outcome = (
      this.locks
        ? this.locks.request(`shop-web:refresh:${this.options.name}`, () =>
            this.refreshUnderLock(expiring),
          )
        : this.spend(expiring)
    ).finally(() => {
      if (this.inFlight?.outcome === outcome) this.inFlight = null;
    });
    this.inFlight = { id: expiring.id, outcome };
    return outcome;
  }

  /** The pair to call with: refreshed first if its access token is about to expire. */
  async fresh(): Promise<TokenPair | null> {
    const pair = this.held;
    if (pair && Date.now() >= refreshAt(pair)) await this.refresh();
    return this.current();
  }

  private async refreshUnderLock(expiring: HeldPair): Promise<RefreshOutcome> {
    const held = this.held;
    if (!held) return { kind: 'no-tokens' };
    // Another tab refreshed while this one waited for the lock, and its pair has arrived.
    if (held.id !== expiring.id) return { kind: 'adopted', tokens: held.tokens };
    const newest = await this.record.read();
    if (newest !== null && newest !== expiring.id) {
      // Another tab refreshed, but its message is still on the way: wait for
      // it rather than spend a refresh token that is spent already.
      const arrived = await this.pairNamed(newest);
      return arrived ? { kind: 'adopted', tokens: arrived.tokens } : this.lost();
    }
    return this.spend(expiring);
  }

  /** Spends the expiring pair's refresh token; the new pair goes to every tab. */
  private async spend(expiring: HeldPair): Promise<RefreshOutcome> {
    const result = await this.options.refresh(expiring.tokens.refreshToken);
    if (result.kind === 'ok') {
      const pair = heldPair(result.value);
      // Recorded before the lock is released, so that the next tab to take it knows.
      await this.record.write(pair.id);
      this.adopt(pair);
      this.post({ type: 'pair', pair });
      return { kind: 'refreshed', tokens: pair.tokens };
    }
    if (result.kind === 'problem' && result.status === 401) {
      // A spent or revoked refresh token never works again, in any tab.
      await this.signedOut();
    } else if (this.held?.id === expiring.id) {
      this.schedule(RETRY_MS);
    }
    return { kind: 'failed', result };
  }

  /** The pair another tab announced, once it is here; asked for again if it is slow. */
  private async pairNamed(id: string): Promise<HeldPair | null> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (this.held?.id === id) return this.held;
      const pair = await this.nextPair(PAIR_WAIT_MS);
      if (pair?.id === id) return pair;
      this.post({ type: 'ask' });
    }
    return this.held?.id === id ? this.held : null;
  }

  private nextPair(timeoutMs: number): Promise<HeldPair | null> {
    return new Promise((resolve) => {
      const done = (pair: HeldPair | null): void => {
        clearTimeout(timeout);
        this.waiters.delete(done);
        resolve(pair);
      };
      const timeout = setTimeout(() => done(null), timeoutMs);
      this.waiters.add(done);
    });
  }

  /** The newest pair was never heard of: this tab's pair is spent, so it lets go of it. */
  private lost(): RefreshOutcome {
    this.drop(this.signedOutAt);
    return { kind: 'lost' };
  }

  private receive(message: Message): void {
    switch (message.type) {
      case 'pair':
        if (message.pair.receivedAt > Math.max(this.held?.receivedAt ?? 0, this.signedOutAt)) {
          this.adopt(message.pair);
        }
        break;
      case 'signed-out':
        if (message.at > this.signedOutAt) this.drop(message.at);
        break;
      case 'ask':
        if (this.held) this.post({ type: 'pair', pair: this.held });
        break;
    }
  }

  private adopt(pair: HeldPair): void {
    this.held = pair;
    this.schedule(refreshAt(pair) - Date.now());
    this.options.onChange(pair.tokens);
    for (const waiter of this.waiters) waiter(pair);
  }

  private drop(at: number): void {
    this.signedOutAt = at;
    this.held = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.options.onChange(null);
  }

  /** Every tab sets its timer; the lock lets one of them refresh, the others adopt. */
  private schedule(delayMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.refresh();
      },
      Math.max(0, delayMs),
    );
  }

  private post(message: Message): void {
    this.channel?.postMessage(message);
  }
}

function heldPair(tokens: TokenPair): HeldPair {
  const receivedAt = Date.now();
  return {
    tokens,
    id: crypto.randomUUID(),
    receivedAt,
    expiresAt: receivedAt + tokens.expiresIn * 1000,
  };
}

function refreshAt(pair: HeldPair): number {
  const lead = Math.min(MAX_LEAD_MS, (pair.expiresAt - pair.receivedAt) / 4);
  return pair.expiresAt - lead;
}

function isMessage(data: unknown): data is Message {
  if (typeof data !== 'object' || data === null || !('type' in data)) return false;
  switch (data.type) {
    case 'ask':
      return true;
    case 'signed-out':
      return 'at' in data && typeof data.at === 'number';
    case 'pair':
      return 'pair' in data && isHeldPair(data.pair);
    default:
      return false;
  }
}

function isHeldPair(value: unknown): value is HeldPair {
  if (typeof value !== 'object' || value === null) return false;
  const pair = value as Partial<Record<keyof HeldPair, unknown>>;
  const tokens = pair.tokens as Partial<Record<keyof TokenPair, unknown>> | null | undefined;
  return (
    typeof pair.id === 'string' &&
    typeof pair.receivedAt === 'number' &&
    typeof pair.expiresAt === 'number' &&
    typeof tokens?.accessToken === 'string' &&
    typeof tokens.refreshToken === 'string' &&
    typeof tokens.tokenType === 'string' &&
    typeof tokens.expiresIn === 'number'
  );
}
