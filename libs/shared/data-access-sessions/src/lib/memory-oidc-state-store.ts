import {
  checkedExpiresAt,
  consumedAt,
  epochSeconds,
  indexedFields,
  isLiveAt,
  readPayload,
  SESSION_MODEL,
} from './oidc-entries';
import type { OidcIndexedFields } from './oidc-entries';
import type { OidcPayload, OidcStateStore } from './oidc-state-store';

/** Options for `MemoryOidcStateStore`. */
export interface MemoryOidcStateStoreOptions {
  /** The clock expiry is judged by (default `Date.now`). */
  readonly now?: () => number;
}

interface Entry {
  readonly model: string;
  readonly id: string;
  /** The payload as JSON, so that no caller can edit stored state in place. */
  readonly json: string;
  /** Epoch ms; null: never. */
  readonly expiresAt: number | null;
  consumed: number | null;
  readonly indexed: OidcIndexedFields;
}

/**
 * `OidcStateStore` in a Map of this process, for unit tests: an OpenID
 * Provider on it forgets every session and token when the process ends, and
 * a second replica does not know them. Indexes are answered by scanning.
 */
export class MemoryOidcStateStore implements OidcStateStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  #closed = false;

  constructor(options: MemoryOidcStateStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async upsert(
    model: string,
    id: string,
    payload: OidcPayload,
    expiresInSeconds?: number,
  ): Promise<void> {
    this.#assertOpen();
    const expiresAt = checkedExpiresAt(model, id, this.#now(), expiresInSeconds);
    const key = keyOf(model, id);
    // Deleted first, so that iteration order is upsert order and the latest
    // upsert wins a scan.
    this.#entries.delete(key);
    this.#entries.set(key, {
      model,
      id,
      json: JSON.stringify(payload),
      expiresAt,
      consumed: consumedAt(payload),
      indexed: indexedFields(model, payload),
    });
  }

  async find(model: string, id: string): Promise<OidcPayload | undefined> {
    this.#assertOpen();
    const entry = this.#live(keyOf(model, id));
    return entry && readPayload(entry.json, entry.consumed);
  }

  async findByUid(model: string, uid: string): Promise<OidcPayload | undefined> {
    return this.#findLatest((entry) => entry.model === model && entry.indexed.uid === uid);
  }

  async findByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined> {
    return this.#findLatest(
      (entry) => entry.model === model && entry.indexed.userCode === userCode,
    );
  }

  async consume(model: string, id: string): Promise<boolean> {
    this.#assertOpen();
    // No await between the check and the write: no other call can interleave.
    const entry = this.#live(keyOf(model, id));
    if (entry === undefined || entry.consumed !== null) return false;
    entry.consumed = epochSeconds(this.#now());
    return true;
  }

  async destroy(model: string, id: string): Promise<void> {
    this.#assertOpen();
    this.#entries.delete(keyOf(model, id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#assertOpen();
    for (const [key, entry] of this.#entries) {
      if (entry.indexed.grantId === grantId) this.#entries.delete(key);
    }
  }

  async sessionIdsByAccount(accountId: string): Promise<string[]> {
    this.#assertOpen();
    const now = this.#now();
    return [...this.#entries.values()]
      .filter(
        (entry) =>
          entry.model === SESSION_MODEL &&
          entry.indexed.accountId === accountId &&
          isLiveAt(entry.expiresAt, now),
      )
      .map((entry) => entry.id)
      .sort();
  }

  async ping(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
  }

  /** The entry under `key` if live; an expired one is dropped on the way. */
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (isLiveAt(entry.expiresAt, this.#now())) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  async #findLatest(matches: (entry: Entry) => boolean): Promise<OidcPayload | undefined> {
    this.#assertOpen();
    const now = this.#now();
    let found: Entry | undefined;
    for (const entry of this.#entries.values()) {
      if (matches(entry) && isLiveAt(entry.expiresAt, now)) found = entry;
    }
    return found && readPayload(found.json, found.consumed);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('MemoryOidcStateStore is closed');
  }
}

/** A Map key that no model and id pair can forge for another. */
function keyOf(model: string, id: string): string {
  return JSON.stringify([model, id]);
}
