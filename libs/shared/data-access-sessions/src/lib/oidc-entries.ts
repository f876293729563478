import type { OidcPayload } from './oidc-state-store';

/** The model whose entries are indexed by `accountId`. */
export const SESSION_MODEL = 'Session';

/** The payload fields an `OidcStateStore` indexes, each null when absent or not a non-empty string. */
export interface OidcIndexedFields {
  readonly grantId: string | null;
  readonly uid: string | null;
  readonly userCode: string | null;
  /** Only for model `Session`. */
  readonly accountId: string | null;
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** What `upsert` indexes of `payload` as `model`. */
export function indexedFields(model: string, payload: OidcPayload): OidcIndexedFields {
  return {
    grantId: nonEmptyString(payload.grantId),
    uid: nonEmptyString(payload.uid),
    userCode: nonEmptyString(payload.userCode),
    accountId: model === SESSION_MODEL ? nonEmptyString(payload.accountId) : null,
  };
}

/** `payload.consumed` when it is a time, epoch seconds; else null. */
export function consumedAt(payload: OidcPayload): number | null {
  return Number.isFinite(payload.consumed) ? (payload.consumed as number) : null;
}

/**
 * When an entry upserted at `now` (epoch ms) expires, epoch ms; null for
 * never. Throws a TypeError for an empty model or id, or an
 * `expiresInSeconds` that is not a finite number: programmer misuse.
 */
export function checkedExpiresAt(
  model: string,
  id: string,
  now: number,
  expiresInSeconds: number | undefined,
): number | null {
  if (model === '' || id === '') throw new TypeError('An OIDC entry needs a model and an id');
  if (expiresInSeconds === undefined) return null;
  if (!Number.isFinite(expiresInSeconds)) {
    throw new TypeError('expiresInSeconds must be a finite number of seconds');
  }
  return now + Math.round(expiresInSeconds * 1000);
}

/** Whether an entry expiring at `expiresAt` (null: never) is live at `now`. */
export function isLiveAt(expiresAt: number | null, now: number): boolean {
  return expiresAt === null || now < expiresAt;
}

/** The stored payload as a fresh object, with the time it was consumed, if it was. */
export function readPayload(json: string, consumed: number | null): OidcPayload {
  const payload = JSON.parse(json) as OidcPayload;
  return consumed === null ? payload : { ...payload, consumed };
}

/** The current time in epoch seconds, as oidc-provider counts `consumed`. */
export function epochSeconds(nowMs: number): number {
  return Math.floor(nowMs / 1000);
}
