import type { DeviceBinding } from './device-binding';

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
  /** Absolute timeout, epoch milliseconds: the session ends then, however active. */
  readonly expiresAt: number;
  /** The last recorded activity, epoch milliseconds; `touch` moves it forward. */
  readonly lastSeenAt: number;
  /**
   * Idle timeout, milliseconds: the session ends once `lastSeenAt + idleTimeoutMs`
   * passes. Enforced by the store, server-side, as the OWASP Session Management
   * Cheat Sheet asks, so an abandoned session cannot be picked up later.
   */
  readonly idleTimeoutMs: number;
  readonly userAgent: string | null;
  readonly ip: string | null;
  /**
   * The user's credential version at the login (bumped by each password
   * change), so that a password change ends exactly the sessions of older
   * versions. Records stored before it existed read as 0.
   */
  readonly credentialVersion: number;
  /**
   * The `sid` of the OpenID Provider session a relying party's session was
   * started from by single sign-on, so that a back-channel logout token,
   * which names that session (OpenID Connect Back-Channel Logout 1.0,
   * section 2.4), ends exactly the sessions it started; null for a password
   * login. Records stored before it existed read as null.
   */
  readonly ssoSid: string | null;
  /**
   * How the user authenticated (RFC 8176 values: `pwd`, `otp`). Records stored
   * before it existed read as `['pwd']`.
   */
  readonly amr: readonly string[];
  /**
   * When the user last proved a factor for this session, epoch milliseconds
   * (the `auth_time` of OpenID Connect Core 1.0 §2; what step-up, RFC 9470,
   * measures). Records stored before it existed read as `createdAt`.
   */
  readonly authTime: number;
  /**
   * The session's binding to a device key (DBSC), once the login offered
   * one; absent for sessions never offered it (API clients, single sign-on,
   * records stored before it existed).
   */
  readonly deviceBinding?: DeviceBinding;
}

/**
 * When a session ends, epoch milliseconds: at its idle deadline, or at its
 * absolute `expiresAt` when that comes first. A record is live while
 * `now < sessionEndsAt(record)`.
 */
export function sessionEndsAt(
  record: Pick<SessionRecord, 'expiresAt' | 'lastSeenAt' | 'idleTimeoutMs'>,
): number {
  return Math.min(record.expiresAt, record.lastSeenAt + record.idleTimeoutMs);
}

/**
 * The port to session storage. Adapters: `SqliteSessionStore` (a file shared by
 * the local processes), `RedisSessionStore` (REDIS_URL) and `MemorySessionStore`
 * (per process, for unit tests and for showing why it does not scale).
 */
export interface SessionStore {
  /** Saves a new record; it lives until `sessionEndsAt(record)`. */
  create(record: SessionRecord): Promise<void>;
  /** The live record, or `null` when unknown, idle for too long or expired. */
  find(idHash: string): Promise<SessionRecord | null>;
  /**
   * Records activity at `lastSeenAt` (epoch ms): moves `lastSeenAt` forward,
   * never back, which extends the idle deadline but never past `expiresAt`.
   * Does nothing to an unknown or ended record, and never brings back one
   * deleted meanwhile.
   */
  touch(idHash: string, lastSeenAt: number): Promise<void>;
  /**
   * Stores `binding` as the session's device binding if it is newer (a
   * higher `version`) than the one stored, leaving the rest of the record
   * as it is, and resolves to true. Resolves to false, writing nothing,
   * when the session is unknown or ended or already holds this version or a
   * later one: the caller reads again and decides anew. On Redis, two
   * writes of the same version racing each other may both resolve true and
   * one of them stays; a caller that needs one winner also claims what it
   * spends in the `ReplayCache` (the auth service does, for challenges).
   */
  saveDeviceBinding(idHash: string, binding: DeviceBinding): Promise<boolean>;
  /** Removes a record; removing an unknown one is not an error. */
  delete(idHash: string): Promise<void>;
  /** The user's live records, through a per-user index (no key scans). */
  listByUser(userId: string): Promise<SessionRecord[]>;
  /** Removes all the user's records; resolves to how many live ones were removed. */
  deleteByUser(userId: string): Promise<number>;
  /** Resolves when the backend answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Nest injection token for the `SessionStore` an app is configured with. */
export const SESSION_STORE = Symbol.for('svt.SessionStore');
