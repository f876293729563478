import { randomUUID } from 'node:crypto';
import { randomSecret, sha256Hex } from '@svt/shared/util-security';
import type { DeviceBinding } from './device-binding';
import type { SessionRecord } from './session-store';

/** What a new session is started with; the rest (ids, secrets, times) is made here. */
export interface NewSessionFields {
  readonly userId: string;
  /** Absolute and idle timeouts, seconds. */
  readonly ttlSeconds: number;
  readonly idleTtlSeconds: number;
  readonly client: { readonly userAgent?: string | null; readonly ip: string | null };
  readonly credentialVersion: number;
  /** The OpenID Provider session single sign-on started it from, or null for a password login. */
  readonly ssoSid: string | null;
  /** The authentication methods the login used (RFC 8176); a password login when absent. */
  readonly amr?: readonly string[];
  /** When the last factor was proved, epoch ms; `now` when absent. */
  readonly authTime?: number;
  /** The device binding the login offers (DBSC), if any. */
  readonly deviceBinding?: DeviceBinding;
}

/**
 * A new session as of `now`: a random secret for the cookie (the store never
 * sees it, only its SHA-256), a public handle, a CSRF token, and the record
 * with its timeouts. The one way sessions are made, whoever starts them (a
 * password login at AUTH, a single sign-on at a relying party).
 */
export function newSession(
  fields: NewSessionFields,
  now: number,
): { secret: string; record: SessionRecord } {
  const secret = randomSecret();
  return {
    secret,
    record: {
      idHash: sha256Hex(secret),
      handle: randomUUID(),
      userId: fields.userId,
      csrfToken: randomSecret(),
      createdAt: now,
      expiresAt: now + fields.ttlSeconds * 1000,
      lastSeenAt: now,
      idleTimeoutMs: fields.idleTtlSeconds * 1000,
      userAgent: fields.client.userAgent?.slice(0, 256) ?? null,
      ip: fields.client.ip,
      credentialVersion: fields.credentialVersion,
      ssoSid: fields.ssoSid,
      amr: fields.amr ?? ['pwd'],
      authTime: fields.authTime ?? now,
      ...(fields.deviceBinding ? { deviceBinding: fields.deviceBinding } : {}),
    },
  };
}
