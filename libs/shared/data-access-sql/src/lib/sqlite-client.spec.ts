import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteClient } from './sqlite-client';

describe(SqliteClient.name, () => {
  let dir: string;
  const clients: SqliteClient[] = [];

  function open(file = join(dir, 'db.sqlite')): SqliteClient {
    const client = new SqliteClient(file);
    clients.push(client);
    return client;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-sqlite-client-'));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the missing parent directories of its file', async () => {
    const client = open(join(dir, 'nested', 'deeper', 'db.sqlite'));

    await expect(client.ping()).resolves.toBeUndefined();
  });

  it.each([
    ['PRAGMA journal_mode', { journal_mode: 'wal' }],
    ['PRAGMA busy_timeout', { timeout: 5000 }],
    ['PRAGMA foreign_keys', { foreign_keys: 1 }],
  ])('opens the file with %s set', async (pragma, expected) => {
    await expect(open().query(pragma)).resolves.toEqual([expected]);
  });

  it('throws an Error naming the file when it cannot be opened', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, '');

    expect(() => open(join(blocker, 'db.sqlite'))).toThrow(
      `Cannot open SQLite database ${join(blocker, 'db.sqlite')}`,
    );
  });

  it('rejects with a TypeError, instead of waiting forever, a statement on the client inside its own transaction', async () => {
    const client = open();

    await expect(client.transaction(() => client.query('SELECT 1'))).rejects.toThrow(TypeError);
    await expect(client.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
  });

  it('lets two clients on one file in one process take turns with transactions', async () => {
    const first = open();
    const second = open();
    await first.execute('CREATE TABLE counter (n INTEGER NOT NULL)');
    await first.execute('INSERT INTO counter (n) VALUES (0)');

    await Promise.all(
      [first, second, first, second].map((client) =>
        client.transaction(async (tx) => {
          const [{ n }] = await tx.query<{ n: number }>('SELECT n FROM counter');
          await new Promise((resolve) => setTimeout(resolve, 5));
          await tx.execute('UPDATE counter SET n = ?', [n + 1]);
        }),
      ),
    );

    await expect(second.query('SELECT n FROM counter')).resolves.toEqual([{ n: 4 }]);
  });

  it('runs a statement at once when nothing of the file is queued', async () => {
    const file = join(dir, 'db.sqlite');
    const client = open(file);
    await client.execute('CREATE TABLE t (n INTEGER NOT NULL)');
    const raw = new Database(file, { readonly: true });
    try {
      const inserted = client.execute('INSERT INTO t (n) VALUES (1)');
      // Read synchronously, before anything queued could have run.
      expect(raw.prepare('SELECT n FROM t').all()).toEqual([{ n: 1 }]);
      await expect(inserted).resolves.toBe(1);
    } finally {
      raw.close();
    }
  });

  it("queues a statement behind another client's open transaction on the same file", async () => {
    const writer = open();
    const reader = open();
    await writer.execute('CREATE TABLE t (n INTEGER NOT NULL)');
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = writer.transaction(async (tx) => {
      await tx.execute('INSERT INTO t (n) VALUES (1)');
      await held;
      await tx.execute('INSERT INTO t (n) VALUES (2)');
    });
    await new Promise((resolve) => setTimeout(resolve, 5));

    const read = reader.query<{ n: number }>('SELECT n FROM t ORDER BY n');
    release();

    await transaction;
    await expect(read).resolves.toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('rejects a statement that fails at once, as one that fails in the queue', async () => {
    // By its fields: better-sqlite3 makes its errors with the class of the first test file
    // that loaded it in this worker, which is not this file's Error when another ran first.
    await expect(open().query('SELECT * FROM missing')).rejects.toMatchObject({
      code: 'SQLITE_ERROR',
      message: 'no such table: missing',
    });
  });

  it('rejects binding a boolean, which the port stores as 0/1', async () => {
    const client = open();
    const smuggled = [true] as unknown as readonly number[];

    await expect(client.query('SELECT ? AS flag', smuggled)).rejects.toThrow(
      'SQLite3 can only bind numbers, strings, bigints, buffers, and null',
    );
  });
});
