import { types } from 'pg';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  PostgresClient,
  describeServer,
  isDatabaseUnavailable,
  toPositionalParameters,
} from './postgres-client';

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe(PostgresClient.name, () => {
  describe(toPositionalParameters.name, () => {
    it.each([
      ['SELECT 1', 'SELECT 1'],
      ['SELECT * FROM t WHERE a = ? AND b = ?', 'SELECT * FROM t WHERE a = $1 AND b = $2'],
      ["SELECT '?' , ?", "SELECT '?' , $1"],
      ["SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"],
      ['SELECT "odd?column" FROM t WHERE x = ?', 'SELECT "odd?column" FROM t WHERE x = $1'],
      ["INSERT INTO t VALUES (?, '', ?)", "INSERT INTO t VALUES ($1, '', $2)"],
    ])('rewrites %j to %j', (sql, expected) => {
      expect(toPositionalParameters(sql)).toBe(expected);
    });
  });

  describe(describeServer.name, () => {
    it('names the host, port and database without the credentials', () => {
      expect(describeServer('postgres://app:s3cret@db.internal:6543/shop')).toBe(
        'db.internal:6543/shop',
      );
    });

    it('rejects an unparsable URL without echoing it', () => {
      expect(() => describeServer('postgres://app:s3cret@[bad')).toThrow(
        expect.objectContaining({
          message: expect.not.stringContaining('s3cret'),
        }),
      );
    });
  });

  describe('when the server cannot be reached', () => {
    it.each(['query', 'transaction'] as const)(
      'rejects a %s with store_unavailable that says so, not the driver error',
      async (operation) => {
        const client = new PostgresClient(`postgres://app@127.0.0.1:${await closedPort()}/shop`, {
          connectTimeoutMs: 1000,
        });
        try {
          const attempt =
            operation === 'query'
              ? client.query('SELECT 1')
              : client.transaction((tx) => tx.query('SELECT 1'));
          await expect(attempt).rejects.toMatchObject({
            code: 'store_unavailable',
            detail: 'The database is unavailable.',
          });
        } finally {
          await client.close();
        }
      },
    );
  });

  describe(isDatabaseUnavailable.name, () => {
    const withCode = (code: string, message = 'x'): Error =>
      Object.assign(new Error(message), { code });

    it.each([
      ['a refused connection', withCode('ECONNREFUSED')],
      ['a reset connection', withCode('ECONNRESET')],
      ['a connection exception (class 08)', withCode('08006')],
      ['an administrator shutdown', withCode('57P01')],
      ['too many connections', withCode('53300')],
      ['a connect timeout', new Error('timeout exceeded when trying to connect')],
      ['a connection that ended', new Error('Connection terminated unexpectedly')],
    ])('counts %s as unavailable', (_name, error) => {
      expect(isDatabaseUnavailable(error)).toBe(true);
    });

    it.each([
      ['a syntax error', withCode('42601', 'syntax error at or near "SELEC"')],
      ['a unique violation', withCode('23505', 'duplicate key value')],
      ['a plain error', new Error('boom')],
      ['a non-error', 'ECONNREFUSED'],
    ])('does not count %s', (_name, error) => {
      expect(isDatabaseUnavailable(error)).toBe(false);
    });
  });

  it('leaves the global pg type parsers alone', async () => {
    const client = new PostgresClient('postgres://nobody@127.0.0.1:1/none');
    await client.close();

    expect(types.getTypeParser(20)('42')).toBe('42');
  });
});
