import type { SqlClient } from '@svt/shared/data-access-sql';
import { sqlBackends } from '@svt/shared/data-access-sql/testing';
import { authMigrations } from './migrations';
import { SqlRefreshTokenRepository } from './refresh-tokens.repository';
import { SqlSigningKeyRepository } from './signing-keys.repository';
import type { User } from './users.repository';
import { SqlUserRepository } from './users.repository';

const NOW = 1_800_000_000_000;
const alice: User = {
  id: 'user-alice',
  email: 'alice@example.test',
  passwordHash: '$argon2id$...',
  createdAt: NOW,
};

describe.each(sqlBackends().map((backend) => [backend.name, backend] as const))(
  'auth repositories on %s',
  (_name, backend) => {
    let sql: SqlClient;

    beforeEach(async () => {
      sql = await backend.open();
      await sql.migrate(authMigrations);
    });
    afterEach(() => sql.close());

    describe(SqlUserRepository.name, () => {
      it('finds a created user by email and by id', async () => {
        const users = new SqlUserRepository(sql);
        await expect(users.create(alice)).resolves.toBe('created');
        await expect(users.findByEmail('alice@example.test')).resolves.toEqual(alice);
        await expect(users.findById('user-alice')).resolves.toEqual(alice);
      });

      it('answers email_taken for a second account with the same email', async () => {
        const users = new SqlUserRepository(sql);
        await users.create(alice);
        await expect(users.create({ ...alice, id: 'user-2' })).resolves.toBe('email_taken');
        await expect(users.findById('user-2')).resolves.toBeNull();
      });

      it('returns null for an unknown email', async () => {
        await expect(
          new SqlUserRepository(sql).findByEmail('nobody@example.test'),
        ).resolves.toBeNull();
      });
    });

    describe(SqlRefreshTokenRepository.name, () => {
      const family = {
        id: 'family-1',
        userId: alice.id,
        createdAt: NOW,
        expiresAt: NOW + 86_400_000,
        revokedAt: null,
        userAgent: 'jest',
        ip: '127.0.0.1',
      };
      let tokens: SqlRefreshTokenRepository;

      beforeEach(async () => {
        await new SqlUserRepository(sql).create(alice);
        tokens = new SqlRefreshTokenRepository(sql);
        await tokens.createFamily(family, { hash: 'h1', expiresAt: NOW + 86_400_000 });
      });

      it('rotates a live token into the next one of the same family', async () => {
        const outcome = await tokens.rotate(
          'h1',
          { hash: 'h2', expiresAt: NOW + 86_400_000 },
          NOW + 1,
        );
        expect(outcome).toEqual({ kind: 'rotated', family });
        await expect(
          tokens.rotate('h2', { hash: 'h3', expiresAt: NOW + 86_400_000 }, NOW + 2),
        ).resolves.toMatchObject({
          kind: 'rotated',
        });
      });

      it('treats a spent token as reuse and revokes the whole family', async () => {
        await tokens.rotate('h1', { hash: 'h2', expiresAt: NOW + 86_400_000 }, NOW + 1);
        await expect(
          tokens.rotate('h1', { hash: 'h3', expiresAt: NOW + 86_400_000 }, NOW + 2),
        ).resolves.toEqual({
          kind: 'reused',
          familyId: 'family-1',
          userId: alice.id,
        });
        await expect(
          tokens.rotate('h2', { hash: 'h4', expiresAt: NOW + 86_400_000 }, NOW + 3),
        ).resolves.toEqual({
          kind: 'invalid',
        });
        await expect(tokens.findFamily('family-1')).resolves.toMatchObject({ revokedAt: NOW + 2 });
      });

      it('answers invalid for an unknown or expired token', async () => {
        await expect(tokens.rotate('unknown', { hash: 'x', expiresAt: NOW }, NOW)).resolves.toEqual(
          { kind: 'invalid' },
        );
        await expect(
          tokens.rotate('h1', { hash: 'x', expiresAt: NOW }, NOW + 86_400_000),
        ).resolves.toEqual({
          kind: 'invalid',
        });
      });

      it('lets exactly one of many concurrent rotations of one token win', async () => {
        const outcomes = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            tokens.rotate('h1', { hash: `next-${i}`, expiresAt: NOW + 86_400_000 }, NOW + 1),
          ),
        );
        expect(outcomes.filter((outcome) => outcome.kind === 'rotated')).toHaveLength(1);
      });

      it('revokes the family of a token, and knows nothing of an unknown one', async () => {
        await expect(tokens.revokeByToken('h1', NOW + 5)).resolves.toBe('family-1');
        await expect(
          tokens.rotate('h1', { hash: 'h2', expiresAt: NOW + 86_400_000 }, NOW + 6),
        ).resolves.toEqual({
          kind: 'invalid',
        });
        await expect(tokens.revokeByToken('unknown', NOW)).resolves.toBeNull();
      });
    });

    describe(SqlSigningKeyRepository.name, () => {
      it('lists active keys newest first', async () => {
        const keys = new SqlSigningKeyRepository(sql);
        const key = {
          alg: 'ES256' as const,
          publicJwk: '{}',
          sealedPrivateKey: 'v1.x',
          retiredAt: null,
        };
        await keys.insert({ ...key, kid: 'old', createdAt: NOW });
        await keys.insert({ ...key, kid: 'new', createdAt: NOW + 1 });
        await expect(keys.listActive()).resolves.toMatchObject([{ kid: 'new' }, { kid: 'old' }]);
      });
    });
  },
);
