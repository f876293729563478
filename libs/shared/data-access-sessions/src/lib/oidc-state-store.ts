/**
 * An oidc-provider model instance as stored: opaque JSON, with the fields the
 * store indexes. The store never interprets the rest.
 */
export interface OidcPayload {
  readonly [field: string]: unknown;
  grantId?: string;
  uid?: string;
  userCode?: string;
  accountId?: string;
  /** When it was consumed, epoch seconds (oidc-provider's `epochTime()`). */
  consumed?: number;
}

/**
 * The port an oidc-provider adapter persists the OpenID Provider's state
 * through: its sessions, interactions, codes, tokens and grants, each an
 * opaque payload under a model name and an id. Semantics follow
 * oidc-provider's documented adapter interface (its example memory adapter).
 * Adapters: `MemoryOidcStateStore`, `SqliteOidcStateStore`,
 * `RedisOidcStateStore`.
 */
export interface OidcStateStore {
  /**
   * Saves `payload` as `model`/`id`, replacing any; it expires after
   * `expiresInSeconds` (never when undefined). Indexes `payload.grantId`,
   * `payload.uid`, `payload.userCode`, and for model `Session`
   * `payload.accountId`. Rejects with a TypeError for an empty model or id, or an
   * `expiresInSeconds` that is not a finite number.
   */
  upsert(model: string, id: string, payload: OidcPayload, expiresInSeconds?: number): Promise<void>;
  /** The live payload, a fresh copy, or undefined when unknown or expired. */
  find(model: string, id: string): Promise<OidcPayload | undefined>;
  /** The live payload of `model` whose `uid` is `uid`, or undefined. */
  findByUid(model: string, uid: string): Promise<OidcPayload | undefined>;
  /** The live payload of `model` whose `userCode` is `userCode`, or undefined. */
  findByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined>;
  /**
   * Marks it consumed now (`payload.consumed` = epoch seconds) atomically:
   * resolves true for the one call that consumed it first, false when already
   * consumed, unknown or expired. A code is redeemed once, whichever replica
   * is asked (RFC 6749, section 4.1.2).
   */
  consume(model: string, id: string): Promise<boolean>;
  /** Removes it; removing an unknown one is not an error. */
  destroy(model: string, id: string): Promise<void>;
  /** Destroys every entry, of any model, whose `payload.grantId` is `grantId`. */
  revokeByGrantId(grantId: string): Promise<void>;
  /**
   * The ids of the live `Session` entries whose `payload.accountId` is
   * `accountId`, sorted, so that logout-all can end a user's single sign-on
   * sessions.
   */
  sessionIdsByAccount(accountId: string): Promise<string[]>;
  /** Resolves when the backend answers (readiness). */
  ping(): Promise<void>;
  /** Stops using the backend; later calls reject. Idempotent. */
  close(): Promise<void>;
}

/** Nest injection token for the `OidcStateStore` of the shared state. */
export const OIDC_STATE_STORE = Symbol.for('svt.OidcStateStore');
