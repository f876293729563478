import { sqlBackends } from '../testing';
import type { Migration, SqlClient } from './sql-client';

interface NoteRow {
  id: number;
  body: string;
  remark: string;
}

const createNotes: Migration = {
  id: '001-notes',
  up: `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, remark TEXT NOT NULL);
       CREATE INDEX IF NOT EXISTS notes_body ON notes (body)`,
};

const createEvents: Migration = {
  id: '002-events',
  up: `CREATE TABLE events (id INTEGER PRIMARY KEY, note_id INTEGER NOT NULL REFERENCES notes (id), at BIGINT NOT NULL);
       INSERT INTO notes (id, body, remark) VALUES (1000, 'seeded by 002', '')`,
};

const createCounter: Migration = {
  id: '003-counter',
  up: `CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
       INSERT INTO counter (id, n) VALUES (1, 0)`,
};

const schema = [createNotes, createEvents, createCounter];

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('SqlClient contract', () => {
  describe.each(sqlBackends())('on $name', (backend) => {
    let client: SqlClient;

    beforeEach(async () => {
      client = await backend.open();
    });

    afterEach(async () => {
      await client.close();
    });

    it('reports its dialect', () => {
      expect(client.dialect).toBe(backend.name);
    });

    it('answers ping', async () => {
      await expect(client.ping()).resolves.toBeUndefined();
    });

    describe('with the schema migrated', () => {
      beforeEach(async () => {
        await client.migrate(schema);
      });

      it('binds ? placeholders in order and leaves a ? inside a string literal alone', async () => {
        await client.execute(
          "INSERT INTO notes (id, body, remark) VALUES (?, ?, 'why? it''s fine')",
          [1, 'first'],
        );

        const rows = await client.query<NoteRow>(
          "SELECT id, body, remark FROM notes WHERE body = ? AND remark <> '?' AND id = ?",
          ['first', 1],
        );

        expect(rows).toEqual([{ id: 1, body: 'first', remark: "why? it's fine" }]);
      });

      it('returns the rows of a statement with RETURNING', async () => {
        const rows = await client.query<Pick<NoteRow, 'id' | 'body'>>(
          'INSERT INTO notes (id, body, remark) VALUES (?, ?, ?) RETURNING id, body',
          [7, 'returned', ''],
        );

        expect(rows).toEqual([{ id: 7, body: 'returned' }]);
      });

      it('resolves a statement without rows to no rows through query', async () => {
        await expect(
          client.query("INSERT INTO notes (id, body, remark) VALUES (8, 'x', '')"),
        ).resolves.toEqual([]);
      });

      it('resolves execute to the number of rows changed', async () => {
        for (const id of [1, 2, 3]) {
          await client.execute('INSERT INTO notes (id, body, remark) VALUES (?, ?, ?)', [
            id,
            `note ${id}`,
            '',
          ]);
        }

        await expect(
          client.execute("UPDATE notes SET remark = 'seen' WHERE id >= ? AND id < ?", [2, 100]),
        ).resolves.toBe(2);
        await expect(client.execute('DELETE FROM notes WHERE id = ?', [42])).resolves.toBe(0);
      });

      it('round-trips a BIGINT epoch-milliseconds instant as a number', async () => {
        const now = Date.now();
        await client.execute('INSERT INTO events (id, note_id, at) VALUES (?, ?, ?)', [
          1,
          1000,
          now,
        ]);

        const [row] = await client.query<{ at: unknown }>('SELECT at FROM events WHERE id = ?', [
          1,
        ]);

        expect(row.at).toBe(now);
      });

      it('reads COUNT(*) as a number', async () => {
        const [row] = await client.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM notes');

        expect(row.n).toBe(1);
      });

      it('enforces REFERENCES', async () => {
        await expect(
          client.execute('INSERT INTO events (id, note_id, at) VALUES (?, ?, ?)', [1, 404, 0]),
        ).rejects.toThrow();
      });

      it('commits a transaction and resolves to what the work returned', async () => {
        const result = await client.transaction(async (tx) => {
          await tx.execute("INSERT INTO notes (id, body, remark) VALUES (1, 'a', '')");
          await tx.execute("INSERT INTO notes (id, body, remark) VALUES (2, 'b', '')");
          return tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM notes');
        });

        expect(result).toEqual([{ n: 3 }]);
        await expect(client.query('SELECT COUNT(*) AS n FROM notes')).resolves.toEqual([{ n: 3 }]);
      });

      it('rolls a transaction back and rejects with the error the work threw', async () => {
        const failure = new Error('work failed');

        await expect(
          client.transaction(async (tx) => {
            await tx.execute("INSERT INTO notes (id, body, remark) VALUES (1, 'a', '')");
            throw failure;
          }),
        ).rejects.toBe(failure);

        await expect(client.query('SELECT id FROM notes WHERE id = 1')).resolves.toEqual([]);
      });

      it('rolls back when a statement inside the transaction fails', async () => {
        await expect(
          client.transaction(async (tx) => {
            await tx.execute("INSERT INTO notes (id, body, remark) VALUES (1, 'a', '')");
            await tx.execute("INSERT INTO notes (id, body, remark) VALUES (1, 'duplicate', '')");
          }),
        ).rejects.toThrow();

        await expect(client.query('SELECT id FROM notes WHERE id = 1')).resolves.toEqual([]);
      });

      it('keeps a statement issued outside an open transaction out of it', async () => {
        const entered = deferred();
        const proceed = deferred();

        const aborted = client.transaction(async (tx) => {
          await tx.execute("INSERT INTO notes (id, body, remark) VALUES (1, 'inside', '')");
          entered.resolve();
          await proceed.promise;
          throw new Error('abort');
        });
        await entered.promise;
        const outside = client.execute(
          "INSERT INTO notes (id, body, remark) VALUES (2, 'outside', '')",
        );
        proceed.resolve();

        await expect(aborted).rejects.toThrow('abort');
        await expect(outside).resolves.toBe(1);
        await expect(
          client.query<Pick<NoteRow, 'body'>>('SELECT body FROM notes WHERE id < 1000'),
        ).resolves.toEqual([{ body: 'outside' }]);
      });

      it('completes concurrent transactions without losing an update', async () => {
        await Promise.all(
          Array.from({ length: 20 }, () =>
            client.transaction(async (tx) => {
              await tx.execute('UPDATE counter SET n = n + 1 WHERE id = ?', [1]);
            }),
          ),
        );

        await expect(client.query('SELECT n FROM counter WHERE id = 1')).resolves.toEqual([
          { n: 20 },
        ]);
      });

      it('rejects a statement through the executor after its transaction ended', async () => {
        const leaked = await client.transaction(async (tx) => tx);

        await expect(leaked.query('SELECT 1')).rejects.toThrow('The transaction has already ended');
      });
    });

    describe('migrate', () => {
      async function appliedIds(on: SqlClient): Promise<string[]> {
        const rows = await on.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
        return rows.map((row) => row.id);
      }

      it('applies migrations in id order whatever the order given', async () => {
        await client.migrate([createCounter, createEvents, createNotes]);

        expect(await appliedIds(client)).toEqual(['001-notes', '002-events', '003-counter']);
        await expect(client.query('SELECT id FROM notes')).resolves.toEqual([{ id: 1000 }]);
      });

      it('records when each migration was applied', async () => {
        const before = Date.now();
        await client.migrate([createNotes]);

        const [row] = await client.query<{ applied_at: unknown }>(
          'SELECT applied_at FROM schema_migrations',
        );

        expect(row.applied_at).toBeGreaterThanOrEqual(before);
        expect(row.applied_at).toBeLessThanOrEqual(Date.now());
      });

      it('is idempotent and applies only what is new', async () => {
        await client.migrate([createNotes]);
        await client.migrate([createNotes]);
        await client.migrate([createNotes, createEvents]);

        expect(await appliedIds(client)).toEqual(['001-notes', '002-events']);
        await expect(client.query('SELECT COUNT(*) AS n FROM notes')).resolves.toEqual([{ n: 1 }]);
      });

      it('rejects a failing migration, rolls it back and keeps the earlier ones', async () => {
        const broken: Migration = {
          id: '002-broken',
          up: `CREATE TABLE half (id INTEGER PRIMARY KEY);
               INSERT INTO no_such_table (id) VALUES (1)`,
        };

        await expect(client.migrate([createNotes, broken])).rejects.toThrow(
          /Migration 002-broken failed/,
        );

        expect(await appliedIds(client)).toEqual(['001-notes']);
        await expect(client.query('SELECT id FROM half')).rejects.toThrow();
      });

      it('rejects duplicate migration ids with a TypeError', async () => {
        await expect(client.migrate([createNotes, createNotes])).rejects.toThrow(TypeError);
      });

      it('applies each migration exactly once when two clients migrate the same database at once', async () => {
        const [first, second] = await backend.openPair();
        try {
          await Promise.all([first.migrate(schema), second.migrate(schema)]);

          expect(await appliedIds(first)).toEqual(['001-notes', '002-events', '003-counter']);
          await expect(second.query('SELECT COUNT(*) AS n FROM notes')).resolves.toEqual([
            { n: 1 },
          ]);
        } finally {
          await Promise.all([first.close(), second.close()]);
        }
      });
    });

    describe('errors', () => {
      it('rejects a query with bad SQL and keeps working', async () => {
        await expect(client.query('SELEC 1')).rejects.toThrow();

        await expect(client.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
      });

      it('rejects an execute with bad SQL', async () => {
        await expect(client.execute('INSERT INTO nowhere (id) VALUES (?)', [1])).rejects.toThrow();
      });

      it('rejects statements after close', async () => {
        await client.close();

        await expect(client.query('SELECT 1')).rejects.toThrow();
      });
    });
  });
});
