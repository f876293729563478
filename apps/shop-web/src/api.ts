import { dpopKeyPair, dpopProof } from './dpop.js';

/** An RFC 9457 problem, reduced to what the page shows. */
export interface Problem {
  readonly code: string | null;
  readonly detail: string;
  /** The whole problem object, for the extension members some codes carry (RFC 9457 §3.2). */
  readonly members: Readonly<Record<string, unknown>>;
}

/**
 * The outcome of one HTTP call. A refusal (4xx/5xx) is an answer like any
 * other; `network-error` means no answer could be read at all.
 */
export type ApiResult =
  | { readonly kind: 'ok'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'problem'; readonly status: number; readonly problem: Problem }
  | { readonly kind: 'network-error'; readonly message: string };

const TIMEOUT_MS = 10_000;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `init` for a JSON request body. */
export function jsonRequest(method: string, data: unknown): RequestInit {
  return {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(data),
  };
}

export async function callApi(url: string, init: RequestInit = {}): Promise<ApiResult> {
  return (await exchange(url, init)).result;
}

/** The latest `DPoP-Nonce` each origin handed out, sent in the next proof to it. */
const dpopNonces = new Map<string, string>();

/**
 * A call with `Authorization: DPoP <token>` (when a token is given) and a
 * fresh proof. A server that demands a nonce answers `use_dpop_nonce` with
 * one (RFC 9449 §8, §9): the call is retried once with it.
 */
export async function callApiWithProof(
  url: string,
  init: RequestInit,
  accessToken: string | null,
): Promise<ApiResult> {
  const keys = await dpopKeyPair();
  const origin = new URL(url, location.href).origin;
  for (let attempt = 1; ; attempt += 1) {
    const method = init.method ?? 'GET';
    const nonce = dpopNonces.get(origin) ?? null;
    const headers = new Headers(init.headers);
    headers.set('DPoP', await dpopProof(keys, method, url, accessToken, nonce));
    if (accessToken) headers.set('Authorization', `DPoP ${accessToken}`);
    const { result, response } = await exchange(url, { ...init, headers });
    const fresh = response?.headers.get('DPoP-Nonce');
    if (fresh) dpopNonces.set(origin, fresh);
    const wantsNonce = result.kind === 'problem' && result.problem.code === 'use_dpop_nonce';
    if (!(wantsNonce && fresh && attempt === 1)) return result;
  }
}

async function exchange(
  url: string,
  init: RequestInit,
): Promise<{ result: ApiResult; response: Response | null }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    // fetch rejects only when there is no answer the page may read: the
    // server is unreachable, CORS refused it, or it timed out.
    const message = error instanceof Error ? error.message : 'failed';
    return { result: { kind: 'network-error', message }, response: null };
  }
  const body = await readJson(response);
  const status = response.status;
  return {
    result: response.ok
      ? { kind: 'ok', status, body }
      : { kind: 'problem', status, problem: toProblem(status, body) },
    response,
  };
}

async function readJson(response: Response): Promise<unknown> {
  try {
    const text = await response.text();
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    return null;
  }
}

function toProblem(status: number, body: unknown): Problem {
  // `error` is where RFC 6749 §5.2 puts the code of a token endpoint's refusal.
  const named = isRecord(body) ? (body['code'] ?? body['error']) : null;
  const code = typeof named === 'string' ? named : null;
  const detail =
    isRecord(body) && typeof body['detail'] === 'string' && body['detail']
      ? body['detail']
      : `The server answered ${status} without an explanation.`;
  return { code, detail, members: isRecord(body) ? body : {} };
}

/** A one-line account of a failed call, for the status line. */
export function describeFailure(result: Exclude<ApiResult, { kind: 'ok' }>): string {
  return result.kind === 'problem'
    ? `${result.status}: ${result.problem.detail}`
    : `No answer from the server (${result.message}).`;
}
