import { AssertionError } from 'node:assert';
import {
  expectBearerChallenge,
  expectDpopChallenge,
  expectProblem,
  expectStatus,
} from './assertions';
import type { HttpResponse } from './http-client';

function response(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse<unknown> {
  const text = JSON.stringify(body);
  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    text,
    json: body,
    cookies: [],
    setCookie: [],
    method: 'GET',
    path: '/x',
  };
}

const problem = (status: number, code: string, extra: Record<string, unknown> = {}) => ({
  type: `https://errors.example/${code}`,
  title: 'Title',
  status,
  detail: 'Detail.',
  code,
  ...extra,
});

describe(expectProblem.name, () => {
  it('passes a problem of the contract and returns it', () => {
    expect(
      expectProblem(response(401, problem(401, 'unauthenticated')), 401, 'unauthenticated').code,
    ).toBe('unauthenticated');
  });

  it.each([
    ['another status', response(403, problem(403, 'unauthenticated'))],
    ['another code', response(401, problem(401, 'invalid_token'))],
    [
      'plain JSON',
      response(401, problem(401, 'unauthenticated'), {
        'content-type': 'application/json',
      }),
    ],
    ['a missing title', response(401, { ...problem(401, 'unauthenticated'), title: undefined })],
    ['a body status that differs', response(401, problem(400, 'unauthenticated'))],
    ['a stack property', response(401, problem(401, 'unauthenticated', { stack: 'x' }))],
    [
      'a bare stack frame in detail',
      response(
        401,
        problem(401, 'unauthenticated', { detail: 'Error: x\n    at /app/dist/main.js:10:5' }),
      ),
    ],
    [
      'a node_modules path in detail',
      response(
        401,
        problem(401, 'unauthenticated', { detail: 'in /app/node_modules/pg/lib/client' }),
      ),
    ],
    [
      'a stack frame in detail',
      response(
        401,
        problem(401, 'unauthenticated', {
          detail: 'at Foo.bar (/app/main.js:10:5)',
        }),
      ),
    ],
  ])('fails on %s', (_label, res) => {
    expect(() => expectProblem(res, 401, 'unauthenticated')).toThrow(AssertionError);
  });
});

describe(expectBearerChallenge.name, () => {
  it.each([
    ['Bearer', false],
    ['Bearer realm="svt"', false],
    ['Bearer error="invalid_token", error_description="expired"', true],
  ])('accepts %j when a token was presented: %s', (challenge, presented) => {
    expect(() =>
      expectBearerChallenge(response(401, {}, { 'www-authenticate': challenge }), presented),
    ).not.toThrow();
  });

  it.each([
    [undefined, false],
    ['Basic realm="x"', false],
    ['Bearer', true],
    ['Bearer error="invalid_token"', false],
  ])('rejects %j when a token was presented: %s', (challenge, presented) => {
    const headers: Record<string, string> =
      challenge === undefined ? {} : { 'www-authenticate': challenge };
    expect(() => expectBearerChallenge(response(401, {}, headers), presented)).toThrow(
      AssertionError,
    );
  });
});

describe(expectDpopChallenge.name, () => {
  const withChallenge = (challenge: string) => response(401, {}, { 'www-authenticate': challenge });

  it.each([
    'DPoP algs="ES256", error="invalid_dpop_proof"',
    'DPoP error="invalid_dpop_proof", algs="ES256", error_description="stale"',
    'Bearer realm="svt", DPoP algs="ES256", error="invalid_dpop_proof"',
  ])('accepts %j', (challenge) => {
    expect(() => expectDpopChallenge(withChallenge(challenge), 'invalid_dpop_proof')).not.toThrow();
  });

  it.each([
    ['no challenge', undefined],
    ['a Bearer challenge only', 'Bearer realm="svt", error="invalid_dpop_proof"'],
    ['another error', 'DPoP algs="ES256", error="use_dpop_nonce"'],
    ['no algs', 'DPoP error="invalid_dpop_proof"'],
    ['the error in the Bearer challenge', 'DPoP algs="ES256", Bearer error="invalid_dpop_proof"'],
  ])('rejects %s', (_label, challenge) => {
    const headers: Record<string, string> =
      challenge === undefined ? {} : { 'www-authenticate': challenge };
    expect(() => expectDpopChallenge(response(401, {}, headers), 'invalid_dpop_proof')).toThrow(
      AssertionError,
    );
  });
});

describe(expectStatus.name, () => {
  it('names the whole response when the status differs', () => {
    expect(() => expectStatus(response(500, { code: 'x' }), 200)).toThrow(/GET \/x → 500/);
  });
});

describe(`${expectProblem.name} and ordinary prose`, () => {
  it.each(['Try again at 12:30:00.', 'See http://auth.localhost:8081/docs at any time.'])(
    'does not mistake %j for a stack trace',
    (detail) => {
      expect(() =>
        expectProblem(response(401, problem(401, 'rate_limited', { detail })), 401, 'rate_limited'),
      ).not.toThrow();
    },
  );
});

describe(`${expectProblem.name} without a code`, () => {
  it('accepts any code but still checks the shape', () => {
    expect(() => expectProblem(response(400, problem(400, 'whatever')), 400)).not.toThrow();
    expect(() => expectProblem(response(400, { ...problem(400, 'x'), detail: 1 }), 400)).toThrow(
      AssertionError,
    );
  });
});
