import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CATALOG } from '@svt/shared/util-errors';
import { ERROR_STATUS } from './http-error-mapping';

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
