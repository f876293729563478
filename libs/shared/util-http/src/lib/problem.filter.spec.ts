import type { ArgumentsHost } from '@nestjs/common';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { AppError } from '@svt/shared/util-errors';
import { ProblemFilter, toAppError, toProblem } from './problem.filter';

function fastifyError(code: string, statusCode: number, name = 'FastifyError'): Error {
  return Object.assign(new Error('library message that must not leak'), { code, statusCode, name });
}

describe('toAppError', () => {
  it.each([
    [fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 'payload_too_large'],
    [fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), 'unsupported_media_type'],
    [fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), 'malformed_json'],
    [fastifyError('UNKNOWN', 400, 'SyntaxError'), 'malformed_json'],
    [fastifyError('UNKNOWN', 431), 'headers_too_large'],
    [new NotFoundException(), 'not_found'],
    [new BadRequestException(), 'bad_request'],
    [new Error('boom'), 'internal_error'],
    ['a thrown string', 'internal_error'],
  ])('maps %p to %s', (thrown, code) => {
    expect(toAppError(thrown).code).toBe(code);
  });

  it('keeps an AppError as it is', () => {
    const error = new AppError('email_taken', 'taken');
    expect(toAppError(error)).toBe(error);
  });
});

describe('toProblem', () => {
  it('never carries the library message of a client error', () => {
    const problem = toProblem(toAppError(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413)));
    expect(JSON.stringify(problem)).not.toContain('library message');
    expect(problem).toEqual({
      type: 'urn:svt:error:payload_too_large',
      title: 'The body is too large',
      status: 413,
      detail: 'The body is too large',
      code: 'payload_too_large',
    });
  });

  it('lists field errors for validation failures', () => {
    const problem = toProblem(
      new AppError('validation_failed', 'invalid', {
        errors: [{ field: 'email', message: 'must be an email address' }],
      }),
    );
    expect(problem.errors).toEqual([{ field: 'email', message: 'must be an email address' }]);
  });
});

describe('toProblem extension members (RFC 9457 §3.2)', () => {
  it('carries them beside the standard members', () => {
    const problem = toProblem(
      new AppError('second_factor_required', undefined, {
        extensions: { pendingLogin: 'handle', factors: ['totp', 'recovery_code'] },
      }),
    );

    expect(problem).toMatchObject({
      code: 'second_factor_required',
      status: 401,
      pendingLogin: 'handle',
      factors: ['totp', 'recovery_code'],
    });
  });

  it('never lets one replace a standard member', () => {
    const problem = toProblem(
      new AppError('invalid_otp', 'Wrong code.', {
        extensions: { status: 200, code: 'ok', detail: 'fine', type: 'x', title: 't' },
      }),
    );

    expect(problem).toEqual({
      type: 'urn:svt:error:invalid_otp',
      title: expect.any(String),
      status: 400,
      detail: 'Wrong code.',
      code: 'invalid_otp',
    });
  });
});

describe(ProblemFilter.name, () => {
  function answer(error: AppError): { status: number; headers: Record<string, string> } {
    const sent = { status: 0, headers: {} as Record<string, string> };
    const reply = {
      status: (code: number) => ((sent.status = code), reply),
      headers: (headers: Record<string, string>) => (Object.assign(sent.headers, headers), reply),
      send: () => reply,
    };
    const host = {
      switchToHttp: () => ({ getRequest: () => ({ id: 'req-1' }), getResponse: () => reply }),
    } as unknown as ArgumentsHost;
    new ProblemFilter().catch(error, host);
    return sent;
  }

  it('gives every 401 a Bearer challenge, failed logins included (RFC 9110 §15.5.2)', () => {
    expect(answer(new AppError('invalid_credentials')).headers['www-authenticate']).toBe(
      'Bearer realm="svt"',
    );
  });

  it('adds error="invalid_token" to the challenge when a token was refused (RFC 6750 §3.1)', () => {
    expect(answer(new AppError('invalid_token', 'bad')).headers['www-authenticate']).toBe(
      'Bearer realm="svt", error="invalid_token"',
    );
  });

  it('says when to retry in Retry-After delay-seconds', () => {
    const sent = answer(new AppError('rate_limited', 'slow', { retryAfterSeconds: 7 }));
    expect(sent.status).toBe(429);
    expect(sent.headers['retry-after']).toBe('7');
  });

  it('challenges nothing outside 401', () => {
    const sent = answer(new AppError('csrf_failed'));
    expect(sent.status).toBe(403);
    expect(sent.headers['www-authenticate']).toBeUndefined();
  });
});
