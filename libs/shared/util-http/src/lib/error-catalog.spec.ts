import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, ERROR_CATALOG } from './error-catalog';

const documentation = readFileSync(join(__dirname, '../../../../../docs/errors.md'), 'utf8');
const documentedRows = new Map(
  [...documentation.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map(([, code, status]) => [
    code,
    Number(status),
  ]),
);

describe('ERROR_CATALOG', () => {
  it.each(Object.entries(ERROR_CATALOG))(
    'documents %s in docs/errors.md with its status',
    (code, entry) => {
      expect(documentedRows.get(code)).toBe(entry.status);
    },
  );

  it('documents no code that the catalog lacks', () => {
    expect([...documentedRows.keys()].sort()).toEqual(Object.keys(ERROR_CATALOG).sort());
  });
});

describe(AppError.name, () => {
  it('takes its status from the catalog', () => {
    expect(new AppError('csrf_failed').status).toBe(403);
  });

  it('defaults its detail to the title', () => {
    expect(new AppError('not_found').detail).toBe('Not found');
  });
});
