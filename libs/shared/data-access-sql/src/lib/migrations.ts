import type { Migration } from './sql-client';

/** Where each adapter records the migrations it applied. */
export const CREATE_MIGRATIONS_TABLE =
  'CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)';

/** The migrations in id order; a duplicate id is a programming error. */
export function orderMigrations(migrations: readonly Migration[]): readonly Migration[] {
  const ordered = [...migrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i].id === ordered[i - 1].id) {
      throw new TypeError(`Duplicate migration id: ${ordered[i].id}`);
    }
  }
  return ordered;
}

/** Thrown when a migration's SQL fails; the migration was rolled back. */
export class MigrationError extends Error {
  constructor(
    readonly migrationId: string,
    cause: unknown,
  ) {
    super(`Migration ${migrationId} failed: ${describeError(cause)}`, {
      cause,
    });
    this.name = 'MigrationError';
  }
}

/**
 * A one-line description of a thrown value. Node reports a refused
 * dual-stack connection as an AggregateError with an empty message, so the
 * inner errors and the code are spelled out.
 */
export function describeError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  // Duck-typed, not instanceof: socket errors come from Node's own realm,
  // which is not the caller's under jest or vm.
  const { message, code, errors } = error as {
    message?: unknown;
    code?: unknown;
    errors?: unknown;
  };
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.map(describeError).join('; ');
  }
  if (typeof message === 'string' && message !== '') return message;
  return typeof code === 'string' ? code : String(error);
}
