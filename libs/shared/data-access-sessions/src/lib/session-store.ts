/**
 * A server-side session. The store never sees the session secret: records are
 * keyed by its SHA-256 (`idHash`), so a leaked store cannot be replayed.
 */
export interface SessionRecord {
  /** Hex SHA-256 of the cookie's secret value: the store key. */
  readonly idHash: string;
  /** Opaque public handle for listings and `sid` claims; never the secret. */
  readonly handle: string;
  readonly userId: string;
  /** Synchronizer token the client echoes in `X-CSRF-Token`. */
  readonly csrfToken: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Absolute expiry, epoch milliseconds; the store forgets the record then. */
  readonly expiresAt: number;
  readonly lastSeenAt: number;
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/**
 * The port to session storage. Adapters: `SqliteSessionStore` (a file shared by
 * the local processes), `RedisSessionStore` (REDIS_URL) and `MemorySessionStore`
 * (per process, for unit tests and for showing why it does not scale).
 */
export interface SessionStore {
  /** Saves a new record; its lifetime ends at `expiresAt`. */
  create(record: SessionRecord): Promise<void>;
  /** The live record, or `null` when unknown or expired. */
  find(idHash: string): Promise<SessionRecord | null>;
  /** Removes a record; removing an unknown one is not an error. */
  delete(idHash: string): Promise<void>;
  /** The user's live records, through a per-user index (no key scans). */
  listByUser(userId: string): Promise<SessionRecord[]>;
  /** Removes all the user's records; resolves to how many were removed. */
  deleteByUser(userId: string): Promise<number>;
  /** Resolves when the backend answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Nest injection token for the `SessionStore` an app is configured with. */
export const SESSION_STORE = Symbol.for('svt.SessionStore');
