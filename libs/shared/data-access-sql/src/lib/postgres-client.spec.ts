import { types } from 'pg';
import { PostgresClient, describeServer, toPositionalParameters } from './postgres-client';

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

  it('leaves the global pg type parsers alone', async () => {
    const client = new PostgresClient('postgres://nobody@127.0.0.1:1/none');
    await client.close();

    expect(types.getTypeParser(20)('42')).toBe('42');
  });
});
