/** An RFC 9457 problem, reduced to what the page shows. */
export interface Problem {
  readonly code: string | null;
  readonly detail: string;
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
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    // fetch rejects only when there is no answer the page may read: the
    // server is unreachable, CORS refused it, or it timed out.
    return { kind: 'network-error', message: error instanceof Error ? error.message : 'failed' };
  }
  const body = await readJson(response);
  if (response.ok) return { kind: 'ok', status: response.status, body };
  return { kind: 'problem', status: response.status, problem: toProblem(response.status, body) };
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
  const code = isRecord(body) && typeof body['code'] === 'string' ? body['code'] : null;
  const detail =
    isRecord(body) && typeof body['detail'] === 'string' && body['detail']
      ? body['detail']
      : `The server answered ${status} without an explanation.`;
  return { code, detail };
}

/** A one-line account of a failed call, for the status line. */
export function describeFailure(result: Exclude<ApiResult, { kind: 'ok' }>): string {
  return result.kind === 'problem'
    ? `${result.status}: ${result.problem.detail}`
    : `No answer from the server (${result.message}).`;
}
