/**
 * A session's binding to a key its browser holds and cannot export: Device
 * Bound Session Credentials (W3C DBSC draft). The login offers it with a
 * challenge; the browser registers a public key by signing that challenge;
 * from then on the session is accepted only with a short-lived bound cookie,
 * which only a proof by that key (`refresh`) renews. A copied cookie jar
 * thus stops working when its bound cookie expires.
 *
 * Every change makes a new binding with a higher `version`; a store keeps
 * the higher of two concurrent writes, so a refresh is never undone by a
 * request that slid the session's idle deadline meanwhile.
 */
export interface DeviceBinding {
  readonly version: number;
  /** The registered public key (EC P-256, base64url coordinates); null while only offered. */
  readonly key: DeviceKey | null;
  /** Challenges handed out and not yet used, oldest first: each proves freshness once. */
  readonly challenges: readonly Expiring<string>[];
  /** Hex SHA-256 of the bound cookie values issued, newest last, with their expiry. */
  readonly cookies: readonly Expiring<string>[];
  /** How many times the bound cookie was renewed by a proof. */
  readonly refreshes: number;
}

export interface DeviceKey {
  readonly x: string;
  readonly y: string;
}

export interface Expiring<T> {
  readonly value: T;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/**
 * At most this many challenges are kept: the one the browser cached, and a
 * newer one handed out meanwhile (the draft warns that a proof for an older
 * challenge may still arrive after a new one was issued).
 */
export const MAX_CHALLENGES = 3;

/**
 * The bound cookies kept: the current one and its predecessor, so a request
 * sent with the old value while a refresh was under way still passes until
 * that value's own expiry.
 */
export const MAX_BOUND_COOKIES = 2;

/** A binding offered at login with its first challenge, nothing registered yet. */
export function offeredBinding(challenge: Expiring<string>): DeviceBinding {
  return { version: 1, key: null, challenges: [challenge], cookies: [], refreshes: 0 };
}

/** Whether `challenge` was handed out to this session and is still live at `now`. */
export function hasLiveChallenge(binding: DeviceBinding, challenge: string, now: number): boolean {
  return binding.challenges.some((c) => c.value === challenge && c.expiresAt > now);
}

/** Whether `cookieHash` is one of the bound cookies issued and not yet expired at `now`. */
export function hasLiveBoundCookie(
  binding: DeviceBinding,
  cookieHash: string,
  now: number,
): boolean {
  return binding.cookies.some((c) => c.value === cookieHash && c.expiresAt > now);
}

/** The next version with `challenge` added; expired ones and the oldest beyond the limit go. */
export function withChallenge(
  binding: DeviceBinding,
  challenge: Expiring<string>,
  now: number,
): DeviceBinding {
  return {
    ...binding,
    version: binding.version + 1,
    challenges: keepLatest(binding.challenges, challenge, MAX_CHALLENGES, now),
  };
}

/**
 * The next version after a good proof over `spent`: that challenge is gone
 * (single use), `next` is handed out, and `cookie` becomes the current bound
 * cookie. `key` is set at registration and kept by every refresh.
 */
export function afterProof(
  binding: DeviceBinding,
  proof: {
    readonly spent: string;
    readonly next: Expiring<string>;
    readonly cookie: Expiring<string>;
    readonly key: DeviceKey;
  },
  now: number,
): DeviceBinding {
  const registering = binding.key === null;
  const unspent = binding.challenges.filter((c) => c.value !== proof.spent);
  return {
    version: binding.version + 1,
    key: proof.key,
    challenges: keepLatest(unspent, proof.next, MAX_CHALLENGES, now),
    cookies: keepLatest(binding.cookies, proof.cookie, MAX_BOUND_COOKIES, now),
    refreshes: registering ? 0 : binding.refreshes + 1,
  };
}

function keepLatest<T>(
  items: readonly Expiring<T>[],
  added: Expiring<T>,
  limit: number,
  now: number,
): Expiring<T>[] {
  return [...items.filter((item) => item.expiresAt > now), added].slice(-limit);
}

/** The newer of two bindings (either may be absent), as every store resolves a race. */
export function newerBinding(
  a: DeviceBinding | undefined,
  b: DeviceBinding | undefined,
): DeviceBinding | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.version > a.version ? b : a;
}

/** Reads a binding stored as JSON (SQLite's column, the JSON record layout); throws when malformed. */
export function parseDeviceBinding(value: unknown): DeviceBinding {
  const fields = value as Record<string, unknown> | null;
  const valid =
    typeof fields === 'object' &&
    fields !== null &&
    Number.isSafeInteger(fields['version']) &&
    Number.isSafeInteger(fields['refreshes']) &&
    (fields['key'] === null || isKey(fields['key'])) &&
    isExpiringList(fields['challenges']) &&
    isExpiringList(fields['cookies']);
  if (!valid) throw new TypeError('Stored device binding is malformed');
  return {
    version: fields['version'] as number,
    key: fields['key'] as DeviceKey | null,
    challenges: fields['challenges'] as Expiring<string>[],
    cookies: fields['cookies'] as Expiring<string>[],
    refreshes: fields['refreshes'] as number,
  };
}

function isKey(value: unknown): value is DeviceKey {
  const key = value as Record<string, unknown> | null;
  return (
    typeof key === 'object' &&
    key !== null &&
    typeof key['x'] === 'string' &&
    typeof key['y'] === 'string'
  );
}

function isExpiringList(value: unknown): value is Expiring<string>[] {
  return (
    Array.isArray(value) &&
    value.every(
      (item: Record<string, unknown> | null) =>
        typeof item === 'object' &&
        item !== null &&
        typeof item['value'] === 'string' &&
        Number.isSafeInteger(item['expiresAt']),
    )
  );
}
