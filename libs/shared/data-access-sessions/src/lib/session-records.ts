import { parseDeviceBinding } from './device-binding';
import { sessionEndsAt } from './session-store';
import type { SessionRecord } from './session-store';

/** Whether the session has neither idled out nor expired at `now` (epoch ms). */
export function isLive(record: SessionRecord, now: number): boolean {
  return now < sessionEndsAt(record);
}

/** A user's sessions in the order they were created, as every adapter lists them. */
export function inCreationOrder(records: SessionRecord[]): SessionRecord[] {
  return records.sort((a, b) => a.createdAt - b.createdAt || (a.idHash < b.idHash ? -1 : 1));
}

/** A copy detached from the caller's object, so stored state cannot be edited in place. */
export function copyRecord(record: SessionRecord): SessionRecord {
  return Object.freeze({ ...record });
}

const stringFields = ['idHash', 'handle', 'userId', 'csrfToken'] as const;
const numberFields = ['createdAt', 'expiresAt', 'lastSeenAt', 'idleTimeoutMs'] as const;
const nullableStringFields = ['userAgent', 'ip'] as const;

/** Reads a record stored as JSON; throws when the stored value is not one. */
export function parseRecord(json: string): SessionRecord {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('Stored session is not an object');
  }
  const fields = value as Record<string, unknown>;
  const valid =
    stringFields.every((field) => typeof fields[field] === 'string') &&
    numberFields.every((field) => Number.isFinite(fields[field])) &&
    nullableStringFields.every(
      (field) => fields[field] === null || typeof fields[field] === 'string',
    );
  if (!valid) throw new TypeError('Stored session lacks a field');
  return copyRecord({
    idHash: fields['idHash'] as string,
    handle: fields['handle'] as string,
    userId: fields['userId'] as string,
    csrfToken: fields['csrfToken'] as string,
    createdAt: fields['createdAt'] as number,
    expiresAt: fields['expiresAt'] as number,
    lastSeenAt: fields['lastSeenAt'] as number,
    idleTimeoutMs: fields['idleTimeoutMs'] as number,
    userAgent: fields['userAgent'] as string | null,
    ip: fields['ip'] as string | null,
    // Absent from records stored before password changes were versioned.
    credentialVersion: Number.isSafeInteger(fields['credentialVersion'])
      ? (fields['credentialVersion'] as number)
      : 0,
    // Absent from records stored before single sign-on.
    ssoSid: typeof fields['ssoSid'] === 'string' ? fields['ssoSid'] : null,
    // Absent from records stored before second factors: a password login.
    amr: parseAmr(fields['amr']),
    authTime: Number.isSafeInteger(fields['authTime'])
      ? (fields['authTime'] as number)
      : (fields['createdAt'] as number),
    // Absent from records never offered a device binding.
    ...(fields['deviceBinding'] === undefined
      ? {}
      : { deviceBinding: parseDeviceBinding(fields['deviceBinding']) }),
  });
}

/** A stored amr list; anything but a list of strings reads as a password login. */
function parseAmr(value: unknown): readonly string[] {
  return Array.isArray(value) && value.length > 0 && value.every((m) => typeof m === 'string')
    ? Object.freeze([...(value as string[])])
    : DEFAULT_AMR;
}

/** The authentication methods of a record stored before they were recorded. */
export const DEFAULT_AMR: readonly string[] = Object.freeze(['pwd']);
