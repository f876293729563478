import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, ERROR_CATALOG } from '@svt/shared/util-errors';
import { ERROR_STATUS, problemHeaders, statusOf } from './http-error-mapping';

const documentation = readFileSync(join(__dirname, '../../../../../docs/errors.md'), 'utf8');
const documentedRows = new Map(
  [...documentation.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map(([, code, status]) => [
    code,
    Number(status),
  ]),
);

describe('docs/errors.md', () => {
  it.each(Object.keys(ERROR_CATALOG) as (keyof typeof ERROR_CATALOG)[])(
    'documents %s with its HTTP status',
    (code) => {
      expect(documentedRows.get(code)).toBe(ERROR_STATUS[code]);
    },
  );

  it('documents no code that the catalog lacks', () => {
    expect([...documentedRows.keys()].sort()).toEqual(Object.keys(ERROR_CATALOG).sort());
  });
});

describe('problemHeaders and statusOf', () => {
  it('challenges a step-up with insufficient_user_authentication, acr_values and max_age (RFC 9470 §3)', () => {
    const error = new AppError('step_up_required', undefined, {
      stepUp: { acrValues: 'aal2', maxAgeSeconds: 600 },
    });

    expect(statusOf(error)).toBe(401);
    expect(problemHeaders(error)['www-authenticate']).toBe(
      'Bearer realm="svt", error="insufficient_user_authentication", error_description="A second factor within 600 seconds is required", acr_values="aal2", max_age=600',
    );
  });

  it('challenges Bearer by default, with error="invalid_token" for a refused token', () => {
    expect(problemHeaders(new AppError('unauthenticated'))).toEqual({
      'www-authenticate': 'Bearer realm="svt"',
    });
    expect(problemHeaders(new AppError('invalid_token'))['www-authenticate']).toBe(
      'Bearer realm="svt", error="invalid_token"',
    );
  });

  it('challenges DPoP where only DPoP-bound tokens work', () => {
    expect(problemHeaders(new AppError('unauthenticated'), 'DPoP')['www-authenticate']).toBe(
      'DPoP algs="ES256"',
    );
    expect(problemHeaders(new AppError('invalid_token'), 'DPoP')['www-authenticate']).toBe(
      'DPoP algs="ES256", error="invalid_token"',
    );
  });

  it('answers a refused proof at a resource with a DPoP challenge and the next nonce', () => {
    const error = new AppError('use_dpop_nonce', undefined, { dpopNonce: 'n-1' });
    expect(statusOf(error)).toBe(401);
    expect(problemHeaders(error)).toEqual({
      'www-authenticate': 'DPoP algs="ES256", error="use_dpop_nonce"',
      'dpop-nonce': 'n-1',
    });
  });

  it('answers a refused proof of a token request with 400 and no challenge (RFC 6749 §5.2)', () => {
    const error = new AppError('invalid_dpop_proof', undefined, { tokenRequest: true });
    expect(statusOf(error)).toBe(400);
    expect(problemHeaders(error)).toEqual({});
    // Other codes keep their status at a token endpoint.
    expect(statusOf(new AppError('invalid_refresh_token', undefined, { tokenRequest: true }))).toBe(
      401,
    );
  });
});
