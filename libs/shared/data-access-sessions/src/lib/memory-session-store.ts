import type { DeviceBinding } from './device-binding';
import { copyRecord, inCreationOrder, isLive } from './session-records';
import type { SessionRecord, SessionStore } from './session-store';

/** Options for `MemorySessionStore`. */
export interface MemorySessionStoreOptions {
  /** The clock expiry is judged by (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * `SessionStore` in a Map of this process, on purpose: unit tests use it, and
 * two replicas each holding one show why in-memory sessions do not scale.
 */
export class MemorySessionStore implements SessionStore {
  readonly #records = new Map<string, SessionRecord>();
  readonly #now: () => number;
  #closed = false;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async create(record: SessionRecord): Promise<void> {
    this.#assertOpen();
    this.#records.set(record.idHash, copyRecord(record));
  }

  async find(idHash: string): Promise<SessionRecord | null> {
    this.#assertOpen();
    const record = this.#records.get(idHash);
    if (record === undefined) return null;
    if (isLive(record, this.#now())) return record;
    this.#records.delete(idHash);
    return null;
  }

  async touch(idHash: string, lastSeenAt: number): Promise<void> {
    this.#assertOpen();
    // No await between the read and the write: concurrent touches cannot
    // interleave and put an older lastSeenAt back.
    const record = this.#records.get(idHash);
    if (record === undefined || !isLive(record, this.#now())) return;
    if (lastSeenAt > record.lastSeenAt) {
      this.#records.set(idHash, copyRecord({ ...record, lastSeenAt }));
    }
  }

  async saveDeviceBinding(idHash: string, binding: DeviceBinding): Promise<boolean> {
    this.#assertOpen();
    const record = this.#records.get(idHash);
    if (record === undefined || !isLive(record, this.#now())) return false;
    if ((record.deviceBinding?.version ?? 0) >= binding.version) return false;
    this.#records.set(idHash, copyRecord({ ...record, deviceBinding: binding }));
    return true;
  }

  async delete(idHash: string): Promise<void> {
    this.#assertOpen();
    this.#records.delete(idHash);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    this.#assertOpen();
    return inCreationOrder(this.#takeLive(userId, false));
  }

  async deleteByUser(userId: string): Promise<number> {
    this.#assertOpen();
    return this.#takeLive(userId, true).length;
  }

  async ping(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#records.clear();
  }

  /** The user's live records; ended ones are dropped on the way. */
  #takeLive(userId: string, remove: boolean): SessionRecord[] {
    const now = this.#now();
    const live: SessionRecord[] = [];
    for (const [idHash, record] of this.#records) {
      if (record.userId !== userId) continue;
      const recordIsLive = isLive(record, now);
      if (recordIsLive) live.push(record);
      if (remove || !recordIsLive) this.#records.delete(idHash);
    }
    return live;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('MemorySessionStore is closed');
  }
}
