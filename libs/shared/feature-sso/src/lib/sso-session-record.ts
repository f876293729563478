import type { SessionRecord } from '@svt/shared/data-access-sessions';

/**
 * A session record started by single sign-on: it also keeps `ssoSid`, the
 * `sid` of AUTH's session for this client (from the ID token), by which a
 * back-channel logout finds it. Sessions started by a password login have
 * `ssoSid: null`.
 *
 * `SessionRecord` gains `ssoSid` on the branch that versions the store; this
 * type and the two functions below are the only place that knows it is not
 * there yet: once it is, `SsoSessionRecord` is `SessionRecord` (one line).
 */
export type SsoSessionRecord = SessionRecord & { readonly ssoSid: string | null };

/** The record to store for a session single sign-on started under AUTH's `ssoSid`. */
export function ssoSessionRecord(
  fields: Omit<SessionRecord, 'ssoSid'>,
  ssoSid: string,
): SessionRecord {
  const record: SsoSessionRecord = { ...fields, ssoSid };
  return record;
}

/** AUTH's `sid` a stored record was started under, or null (a password login, or an older record). */
export function ssoSidOf(record: SessionRecord): string | null {
  const sid = (record as Partial<SsoSessionRecord>).ssoSid;
  return typeof sid === 'string' ? sid : null;
}
