import { AssertionError } from 'node:assert';
import type { ProblemBody } from './contract';
import { describeResponse } from './http-client';
import type { HttpResponse } from './http-client';

/** A V8 stack frame (`at fn (/app/main.js:1:2)`, `at /app/x.js:1:2`), a file position, or node_modules. */
const STACK_FRAME =
  /\bat (?:async )?[\w$.<>[\] ]*\(?(?:\/|file:|node:)[^\s)]*:\d+:\d+|node_modules\/|\.(?:ts|js|mjs|cjs):\d+:\d+/;

/**
 * Asserts an RFC 9457 problem of the contract: the status, the content type,
 * `{type, title, status, detail, code}` with the expected `code` (any code
 * when omitted), and no stack trace. Returns the body for further checks.
 */
export function expectProblem(
  response: HttpResponse<unknown>,
  status: number,
  code?: string,
): ProblemBody {
  const fail = (what: string): never => {
    throw new AssertionError({
      message: `expected a ${status} ${code ?? '(any code)'} problem, but ${what}\n  got: ${describeResponse(response)}`,
      actual: response.text,
      expected: { status, code },
    });
  };
  if (response.status !== status) fail(`the status is ${response.status}`);
  const type = response.headers['content-type'] ?? '';
  if (!/^application\/problem\+json\b/i.test(type)) fail(`the content type is "${type}"`);
  const body = response.json;
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    fail('the body is not a JSON object');
  const problem = body as Record<string, unknown>;
  for (const field of ['type', 'title', 'detail', 'code'] as const) {
    if (typeof problem[field] !== 'string') fail(`"${field}" is not a string`);
  }
  if (problem['status'] !== status) fail(`the body's "status" is ${String(problem['status'])}`);
  if (code !== undefined && problem['code'] !== code)
    fail(`the code is "${String(problem['code'])}"`);
  if ('stack' in problem || STACK_FRAME.test(response.text)) fail('the body carries a stack trace');
  return problem as unknown as ProblemBody;
}

/**
 * Asserts the `WWW-Authenticate` of a 401 (RFC 6750 §3): the Bearer scheme,
 * and `error="invalid_token"` exactly when a token had been presented.
 */
export function expectBearerChallenge(
  response: HttpResponse<unknown>,
  tokenPresented: boolean,
): void {
  const challenge = response.headers['www-authenticate'];
  const problem = (what: string): AssertionError =>
    new AssertionError({
      message: `expected WWW-Authenticate: Bearer${tokenPresented ? ' error="invalid_token"' : ''}, but ${what}\n  got: ${describeResponse(response)}`,
      actual: challenge,
    });
  if (challenge === undefined) throw problem('there is none');
  if (!/^Bearer\b/.test(challenge)) throw problem(`it is "${challenge}"`);
  const hasError = /\berror="invalid_token"/.test(challenge);
  if (tokenPresented && !hasError) throw problem(`it is "${challenge}"`);
  if (!tokenPresented && /\berror=/.test(challenge))
    throw problem(`it names an error: "${challenge}"`);
}

/**
 * Asserts a DPoP challenge (RFC 9449 §7.1) in `WWW-Authenticate`:
 * `DPoP algs="ES256", error="<error>"` (other challenges may come with it).
 */
export function expectDpopChallenge(response: HttpResponse<unknown>, error: string): void {
  const challenge = response.headers['www-authenticate'];
  const params = /(?:^|,\s*)DPoP\s+(.*)$/.exec(challenge ?? '')?.[1] ?? '';
  const dpopParams = params.split(/,\s*(?=[A-Za-z][\w-]*\s+[\w-]+=)/, 1)[0];
  if (!/\balgs="ES256"/.test(dpopParams) || !new RegExp(`\\berror="${error}"`).test(dpopParams)) {
    throw new AssertionError({
      message: `expected WWW-Authenticate: DPoP algs="ES256", error="${error}", but it is "${challenge ?? '(none)'}"\n  got: ${describeResponse(response)}`,
      actual: challenge,
    });
  }
}

/** Asserts the status, with the whole response in the message when it differs. */
export function expectStatus(response: HttpResponse<unknown>, status: number): void {
  if (response.status !== status) {
    throw new AssertionError({
      message: `expected ${status}, got ${describeResponse(response)}`,
      actual: response.status,
      expected: status,
    });
  }
}
