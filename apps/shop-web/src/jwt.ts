import { isRecord } from './api.js';

/** The `Authorization` header a bearer call sends. */
export function bearerHeader(accessToken: string): string {
  return `Bearer ${accessToken}`;
}

/** Bytes of the whole header line, as the echo endpoints count them. */
export function bearerHeaderBytes(accessToken: string): number {
  return new TextEncoder().encode(`Authorization: ${bearerHeader(accessToken)}`).length;
}

/**
 * The claims of a JWT, read without verifying anything: only to show what
 * the token carries. The servers verify; the page never trusts these.
 */
export function readClaims(jwt: string): Record<string, unknown> | null {
  const payload = jwt.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return isRecord(claims) ? claims : null;
  } catch {
    return null;
  }
}
