import type { SqlClient } from '@svt/shared/data-access-sql';
import { sqlBackends } from '@svt/shared/data-access-sql/testing';
import type { AccountToken } from './account-tokens.repository';
import { SqlAccountTokenRepository } from './account-tokens.repository';
import { authMigrations } from './migrations';
import type { NextRefreshToken, RotationOutcome, TokenFamily } from './refresh-tokens.repository';
import { SqlPendingLoginRepository } from './pending-logins.repository';
import { SqlRecoveryCodeRepository } from './recovery-codes.repository';
import { SqlRefreshTokenRepository } from './refresh-tokens.repository';
import type { SigningKeyRecord } from './signing-keys.repository';
import { SqlSigningKeyRepository } from './signing-keys.repository';
import { SqlTotpFactorRepository } from './totp-factors.repository';
import type { User } from './users.repository';
import { SqlUserRepository } from './users.repository';

const NOW = 1_800_000_000_000;
const DAY = 86_400_000;
/** Each token's lifetime when unused (the family dies of idleness after it). */
const IDLE = 3_600_000;
const GRACE = 10_000;

const alice: User = {
  id: 'user-alice',
  email: 'alice@example.test',
  passwordHash: '$argon2id$...',
  createdAt: NOW,
  credentialVersion: 0,
  emailVerifiedAt: null,
};
const bob: User = { ...alice, id: 'user-bob', email: 'bob@example.test' };

const family: TokenFamily = {
  id: 'family-1',
  userId: alice.id,
  createdAt: NOW,
  expiresAt: NOW + DAY,
  revokedAt: null,
  userAgent: 'jest',
  ip: '127.0.0.1',
  lastSeenAt: NOW,
  credentialVersion: 0,
  dpopJkt: null,
  amr: ['pwd'],
  authTime: NOW,
};

/** The address key of the client the rotations in these tests come from. */
const CLIENT = '203.0.113.7';

/** The token to rotate into at `now`, sealed as the service would. */
const next = (hash: string, now: number, spentFrom: string = CLIENT): NextRefreshToken => ({
  hash,
  expiresAt: now + IDLE,
  sealed: `sealed:${hash}`,
  spentFrom,
});

const kinds = (outcomes: readonly RotationOutcome[]): Record<string, number> =>
  outcomes.reduce<Record<string, number>>(
    (counts, outcome) => ({ ...counts, [outcome.kind]: (counts[outcome.kind] ?? 0) + 1 }),
    {},
  );

/** The hash of the one winner of a race, from the `next` values indexed alike. */
const winnerOf = (outcomes: readonly RotationOutcome[], hashes: readonly string[]): string => {
  const index = outcomes.findIndex((outcome) => outcome.kind === 'rotated');
  expect(index).toBeGreaterThanOrEqual(0);
  return hashes[index];
};

const key = (kid: string, createdAt: number, activatesAt = createdAt): SigningKeyRecord => ({
  kid,
  alg: 'ES256',
  publicJwk: `{"kid":"${kid}"}`,
  sealedPrivateKey: `v1.${kid}`,
  createdAt,
  activatesAt,
  retiredAt: null,
});

describe.each(sqlBackends().map((backend) => [backend.name, backend] as const))(
  'auth repositories on %s',
  (_name, backend) => {
    let sql: SqlClient;

    beforeEach(async () => {
      sql = await backend.open();
      await sql.migrate(authMigrations);
    });
    afterEach(() => sql.close());

    describe('migration 004-lifecycle', () => {
      it('backfills last_seen_at and activates_at from created_at for existing rows', async () => {
        const old = await backend.open();
        try {
          await old.migrate(authMigrations.filter((migration) => migration.id < '004'));
          await old.execute(
            'INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)',
            [alice.id, alice.email, alice.passwordHash, alice.createdAt],
          );
          await old.execute(
            `INSERT INTO token_families (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
            ['family-old', alice.id, NOW - 7, NOW + DAY],
          );
          await old.execute(
            `INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at)
             VALUES (?, ?, ?, ?, ?)`,
            ['kid-old', 'ES256', '{}', 'v1.x', NOW - 9],
          );

          await old.migrate(authMigrations);

          await expect(
            old.query('SELECT last_seen_at FROM token_families WHERE id = ?', ['family-old']),
          ).resolves.toEqual([{ last_seen_at: NOW - 7 }]);
          await expect(
            old.query('SELECT activates_at FROM signing_keys WHERE kid = ?', ['kid-old']),
          ).resolves.toEqual([{ activates_at: NOW - 9 }]);
        } finally {
          await old.close();
        }
      });
    });

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

      it('replaces the password hash of one user and reports an unknown one', async () => {
        const users = new SqlUserRepository(sql);
        await users.create(alice);
        await users.create(bob);
        await expect(users.updatePasswordHash(alice.id, '$argon2id$new')).resolves.toBe(1);
        await expect(users.findById(alice.id)).resolves.toEqual({
          ...alice,
          passwordHash: '$argon2id$new',
          credentialVersion: 1,
        });
        await expect(users.findById(bob.id)).resolves.toEqual(bob);
        await expect(users.updatePasswordHash('user-nobody', '$argon2id$x')).resolves.toBeNull();
      });

      it('bumps the credential version with each change and keeps the change pending until its sign-out is done', async () => {
        const users = new SqlUserRepository(sql);
        await users.create(alice);
        await users.create(bob);
        await expect(users.pendingRevocations()).resolves.toEqual([]);

        await users.updatePasswordHash(alice.id, '$argon2id$2');
        const version = await users.updatePasswordHash(alice.id, '$argon2id$3');

        await expect(users.credentialVersion(alice.id)).resolves.toBe(2);
        await expect(users.credentialVersion('user-nobody')).resolves.toBeNull();
        await expect(users.pendingRevocations()).resolves.toEqual([
          { userId: alice.id, credentialVersion: version },
        ]);
        await users.revocationDone({ userId: alice.id, credentialVersion: 1 });
        await expect(users.pendingRevocations()).resolves.toHaveLength(1);
        await users.revocationDone({ userId: alice.id, credentialVersion: 2 });
        await expect(users.pendingRevocations()).resolves.toEqual([]);
      });
    });

    describe(`${SqlUserRepository.name} e-mail verification`, () => {
      it('records the first proof of the mailbox and keeps it', async () => {
        const users = new SqlUserRepository(sql);
        await users.create(alice);
        await users.create(bob);
        await users.markEmailVerified(alice.id, NOW + 5);
        await users.markEmailVerified(alice.id, NOW + 9);
        await expect(users.findById(alice.id)).resolves.toEqual({
          ...alice,
          emailVerifiedAt: NOW + 5,
        });
        await expect(users.findById(bob.id)).resolves.toEqual(bob);
      });
    });

    describe(SqlAccountTokenRepository.name, () => {
      let users: SqlUserRepository;
      let tokens: SqlAccountTokenRepository;
      const reset: AccountToken = {
        tokenHash: 'reset-hash',
        userId: alice.id,
        purpose: 'password_reset',
        credentialVersion: 0,
        createdAt: NOW,
        expiresAt: NOW + IDLE,
      };
      const verification: AccountToken = {
        ...reset,
        tokenHash: 'verification-hash',
        purpose: 'email_verification',
        credentialVersion: null,
      };

      beforeEach(async () => {
        users = new SqlUserRepository(sql);
        tokens = new SqlAccountTokenRepository(sql);
        await users.create(alice);
        await users.create(bob);
        await tokens.insert(reset);
        await tokens.insert(verification);
      });

      it('consumes a token once, for its own purpose only', async () => {
        await expect(
          tokens.consume(reset.tokenHash, 'email_verification', NOW),
        ).resolves.toBeNull();
        await expect(tokens.findUsable(reset.tokenHash, 'password_reset', NOW)).resolves.toEqual(
          reset,
        );
        await expect(tokens.consume(reset.tokenHash, 'password_reset', NOW)).resolves.toEqual(
          reset,
        );
        await expect(tokens.consume(reset.tokenHash, 'password_reset', NOW)).resolves.toBeNull();
        await expect(tokens.findUsable(reset.tokenHash, 'password_reset', NOW)).resolves.toBeNull();
        await expect(
          tokens.consume(verification.tokenHash, 'email_verification', NOW),
        ).resolves.toEqual(verification);
      });

      it('refuses an unknown or expired token', async () => {
        await expect(tokens.consume('unknown', 'password_reset', NOW)).resolves.toBeNull();
        await expect(
          tokens.consume(reset.tokenHash, 'password_reset', reset.expiresAt),
        ).resolves.toBeNull();
        await expect(
          tokens.findUsable(verification.tokenHash, 'email_verification', verification.expiresAt),
        ).resolves.toBeNull();
      });

      it('refuses a reset token once the password changed since it was issued', async () => {
        await users.updatePasswordHash(alice.id, '$argon2id$changed');
        await expect(tokens.findUsable(reset.tokenHash, 'password_reset', NOW)).resolves.toBeNull();
        await expect(tokens.consume(reset.tokenHash, 'password_reset', NOW)).resolves.toBeNull();
        // A verification link proves the mailbox, not the password: it stays good.
        await expect(
          tokens.consume(verification.tokenHash, 'email_verification', NOW),
        ).resolves.toEqual(verification);
      });

      it('lets exactly one of many concurrent consumptions on two clients win', async () => {
        const [a, b] = await backend.openPair();
        try {
          await a.migrate(authMigrations);
          const seeded = new SqlAccountTokenRepository(a);
          await new SqlUserRepository(a).create(alice);
          await seeded.insert({ ...reset, tokenHash: 'raced' });
          const replicas = [seeded, new SqlAccountTokenRepository(b)];
          const outcomes = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              replicas[i % 2].consume('raced', 'password_reset', NOW),
            ),
          );
          expect(outcomes.filter((outcome) => outcome !== null)).toHaveLength(1);
        } finally {
          await Promise.all([a.close(), b.close()]);
        }
      });

      it('deletes expired tokens and keeps the others', async () => {
        await tokens.insert({ ...reset, tokenHash: 'old', expiresAt: NOW - 1 });
        await expect(tokens.deleteExpiredBefore(NOW)).resolves.toBe(1);
        await expect(tokens.findUsable(reset.tokenHash, 'password_reset', NOW)).resolves.toEqual(
          reset,
        );
      });

      it('goes with its user', async () => {
        await sql.execute('DELETE FROM users WHERE id = ?', [alice.id]);
        await expect(tokens.findUsable(reset.tokenHash, 'password_reset', NOW)).resolves.toBeNull();
      });
    });

    describe(SqlRefreshTokenRepository.name, () => {
      let tokens: SqlRefreshTokenRepository;

      beforeEach(async () => {
        await new SqlUserRepository(sql).create(alice);
        await new SqlUserRepository(sql).create(bob);
        tokens = new SqlRefreshTokenRepository(sql);
        await tokens.createFamily(family, { hash: 'h1', expiresAt: NOW + IDLE });
      });

      const expiryOf = async (hash: string): Promise<number | undefined> => {
        const [row] = await sql.query<{ expires_at: number }>(
          'SELECT expires_at FROM refresh_tokens WHERE token_hash = ?',
          [hash],
        );
        return row?.expires_at;
      };

      it('records a new family as last seen when it was created', async () => {
        await tokens.createFamily(
          { ...family, id: 'family-2', createdAt: NOW + 3, lastSeenAt: 0 },
          { hash: 'other', expiresAt: NOW + 3 + IDLE },
        );
        await expect(tokens.findFamily('family-2')).resolves.toMatchObject({
          lastSeenAt: NOW + 3,
        });
      });

      it('rotates a live token into the next one of the same family, chain after chain', async () => {
        await expect(tokens.rotate('h1', next('h2', NOW + 1), NOW + 1, GRACE)).resolves.toEqual({
          kind: 'rotated',
          family: { ...family, lastSeenAt: NOW + 1 },
        });
        await expect(tokens.rotate('h2', next('h3', NOW + 2), NOW + 2, GRACE)).resolves.toEqual({
          kind: 'rotated',
          family: { ...family, lastSeenAt: NOW + 2 },
        });
        await expect(tokens.findFamily('family-1')).resolves.toEqual({
          ...family,
          lastSeenAt: NOW + 2,
        });
        await expect(expiryOf('h3')).resolves.toBe(NOW + 2 + IDLE);
      });

      it("caps the next token's expiry at the family's end", async () => {
        await tokens.rotate('h1', { ...next('h2', NOW + 1), expiresAt: NOW + 2 * DAY }, NOW + 1, 0);
        await expect(expiryOf('h2')).resolves.toBe(family.expiresAt);
      });

      describe('when a spent token is presented again', () => {
        beforeEach(async () => {
          await tokens.rotate('h1', next('h2', NOW + 1), NOW + 1, GRACE);
        });

        it('answers a retry within the grace window with the same sealed successor', async () => {
          const retried = { kind: 'retried', family: { ...family, lastSeenAt: NOW + 1 } };
          await expect(tokens.rotate('h1', next('h2b', NOW + 2), NOW + 2, GRACE)).resolves.toEqual({
            ...retried,
            sealedSuccessor: 'sealed:h2',
          });
          await expect(
            tokens.rotate('h1', next('h2c', NOW + 1 + GRACE), NOW + 1 + GRACE, GRACE),
          ).resolves.toEqual({ ...retried, sealedSuccessor: 'sealed:h2' });
          await expect(expiryOf('h2b')).resolves.toBeUndefined();
          await expect(tokens.rotate('h2', next('h3', NOW + 3), NOW + 3, GRACE)).resolves.toEqual({
            kind: 'rotated',
            family: { ...family, lastSeenAt: NOW + 3 },
          });
        });

        it('treats it as reuse outside the grace window and revokes the whole family', async () => {
          const late = NOW + 2 + GRACE;
          await expect(tokens.rotate('h1', next('h3', late), late, GRACE)).resolves.toEqual({
            kind: 'reused',
            familyId: 'family-1',
            userId: alice.id,
          });
          await expect(tokens.findFamily('family-1')).resolves.toMatchObject({ revokedAt: late });
          await expect(tokens.rotate('h2', next('h4', late + 1), late + 1, GRACE)).resolves.toEqual(
            { kind: 'invalid' },
          );
        });

        it('treats it as reuse within the grace window once the successor was spent', async () => {
          await tokens.rotate('h2', next('h3', NOW + 2), NOW + 2, GRACE);
          await expect(tokens.rotate('h1', next('h4', NOW + 3), NOW + 3, GRACE)).resolves.toEqual({
            kind: 'reused',
            familyId: 'family-1',
            userId: alice.id,
          });
          await expect(tokens.rotate('h3', next('h5', NOW + 4), NOW + 4, GRACE)).resolves.toEqual({
            kind: 'invalid',
          });
        });

        it('treats a retry from another client within the grace window as reuse', async () => {
          await expect(
            tokens.rotate('h1', next('h2b', NOW + 2, '198.51.100.9'), NOW + 2, GRACE),
          ).resolves.toEqual({ kind: 'reused', familyId: 'family-1', userId: alice.id });
        });

        it('answers a spent token of a revoked family with when it was revoked', async () => {
          await tokens.rotate('h1', next('h3', NOW + 2 + GRACE), NOW + 2 + GRACE, GRACE);

          await expect(tokens.rotate('h1', next('h4', NOW + 3), NOW + 3, GRACE)).resolves.toEqual({
            kind: 'revoked',
            familyId: 'family-1',
            userId: alice.id,
            revokedAt: NOW + 2 + GRACE,
          });
        });

        it('treats it as reuse at once when the grace window is 0', async () => {
          await expect(tokens.rotate('h1', next('h3', NOW + 1), NOW + 1, 0)).resolves.toEqual({
            kind: 'reused',
            familyId: 'family-1',
            userId: alice.id,
          });
          await expect(tokens.findFamily('family-1')).resolves.toMatchObject({
            revokedAt: NOW + 1,
          });
        });

        it('answers invalid, revoking nothing, once the family has passed its end', async () => {
          await expect(
            tokens.rotate('h1', next('h3', family.expiresAt), family.expiresAt, DAY),
          ).resolves.toEqual({ kind: 'invalid' });
          await expect(tokens.findFamily('family-1')).resolves.toMatchObject({ revokedAt: null });
        });
      });

      describe('when many rotations of one token race', () => {
        const race = (
          repositories: readonly SqlRefreshTokenRepository[],
          count: number,
          graceMs: number,
        ): { hashes: string[]; outcomes: Promise<RotationOutcome[]> } => {
          const hashes = Array.from({ length: count }, (_, i) => `next-${i}`);
          const outcomes = Promise.all(
            hashes.map((hash, i) =>
              repositories[i % repositories.length].rotate(
                'h1',
                next(hash, NOW + 1),
                NOW + 1,
                graceMs,
              ),
            ),
          );
          return { hashes, outcomes };
        };

        it('rotates exactly once and answers every other call with the same successor', async () => {
          const { hashes, outcomes } = race([tokens], 20, GRACE);
          const settled = await outcomes;
          expect(kinds(settled)).toEqual({ rotated: 1, retried: 19 });
          const winner = winnerOf(settled, hashes);
          for (const outcome of settled.filter((o) => o.kind === 'retried')) {
            expect(outcome).toMatchObject({ sealedSuccessor: `sealed:${winner}` });
          }
          await expect(
            tokens.rotate(winner, next('h3', NOW + 2), NOW + 2, GRACE),
          ).resolves.toMatchObject({ kind: 'rotated' });
        });

        /**
         * Without a grace window every loser is refused: the first to find the
         * token spent revokes the family ('reused'); a loser that looks after
         * that commit finds it revoked ('revoked'). Which is which is timing.
         */
        const expectOneRotationAndRefusals = (outcomes: readonly RotationOutcome[]): void => {
          const { rotated, reused = 0, revoked = 0, ...others } = kinds(outcomes);
          expect({ rotated, others }).toEqual({ rotated: 1, others: {} });
          expect(reused).toBeGreaterThanOrEqual(1);
          expect(reused + revoked).toBe(outcomes.length - 1);
        };

        it('rotates exactly once and revokes the family when there is no grace window', async () => {
          const { hashes, outcomes } = race([tokens], 20, 0);
          const settled = await outcomes;
          expectOneRotationAndRefusals(settled);
          await expect(tokens.findFamily('family-1')).resolves.toMatchObject({
            revokedAt: NOW + 1,
          });
          await expect(
            tokens.rotate(winnerOf(settled, hashes), next('h3', NOW + 2), NOW + 2, 0),
          ).resolves.toEqual({ kind: 'invalid' });
        });

        describe('on two clients of one database', () => {
          let a: SqlClient;
          let b: SqlClient;

          beforeEach(async () => {
            [a, b] = await backend.openPair();
            await a.migrate(authMigrations);
            await new SqlUserRepository(a).create(alice);
            await new SqlRefreshTokenRepository(a).createFamily(family, {
              hash: 'h1',
              expiresAt: NOW + IDLE,
            });
          });
          afterEach(() => Promise.all([a.close(), b.close()]));

          const racePair = (graceMs: number): Promise<RotationOutcome[]> =>
            race([new SqlRefreshTokenRepository(a), new SqlRefreshTokenRepository(b)], 20, graceMs)
              .outcomes;

          it('rotates exactly once and answers the others with the successor', async () => {
            await expect(racePair(GRACE).then(kinds)).resolves.toEqual({ rotated: 1, retried: 19 });
          });

          it('rotates exactly once and revokes the family without a grace window', async () => {
            expectOneRotationAndRefusals(await racePair(0));
            await expect(
              new SqlRefreshTokenRepository(b).findFamily('family-1'),
            ).resolves.toMatchObject({ revokedAt: NOW + 1 });
          });
        });
      });

      describe('when the current token is not used within its idle lifetime', () => {
        it('lets the family die: the token is invalid and the family no longer live', async () => {
          await expect(tokens.listLive(alice.id, NOW + IDLE - 1)).resolves.toEqual([family]);
          await expect(tokens.listLive(alice.id, NOW + IDLE)).resolves.toEqual([]);
          await expect(
            tokens.rotate('h1', next('h2', NOW + IDLE), NOW + IDLE, GRACE),
          ).resolves.toEqual({ kind: 'invalid' });
          await expect(tokens.findFamily('family-1')).resolves.toMatchObject({ revokedAt: null });
        });
      });

      it('does not rotate a family started under an older credential version, nor list it', async () => {
        await new SqlUserRepository(sql).updatePasswordHash(alice.id, '$argon2id$new');

        await expect(tokens.listLive(alice.id, NOW + 1)).resolves.toEqual([]);
        await expect(tokens.rotate('h1', next('h2', NOW + 1), NOW + 1, GRACE)).resolves.toEqual({
          kind: 'invalid',
        });
      });

      it('rotates a family started under the current credential version', async () => {
        await new SqlUserRepository(sql).updatePasswordHash(alice.id, '$argon2id$new');
        const current = { ...family, id: 'family-2', credentialVersion: 1 };
        await tokens.createFamily(current, { hash: 'c1', expiresAt: NOW + IDLE });

        await expect(tokens.rotate('c1', next('c2', NOW + 1), NOW + 1, GRACE)).resolves.toEqual({
          kind: 'rotated',
          family: { ...current, lastSeenAt: NOW + 1 },
        });
      });

      it('answers invalid for an unknown token', async () => {
        await expect(tokens.rotate('unknown', next('x', NOW), NOW, GRACE)).resolves.toEqual({
          kind: 'invalid',
        });
      });

      it('keeps the DPoP key a family is bound to', async () => {
        const bound = { ...family, id: 'family-bound', dpopJkt: 'jkt-of-the-key' };
        await tokens.createFamily(bound, { hash: 'bound-1', expiresAt: NOW + IDLE });

        await expect(tokens.familyOfToken('bound-1')).resolves.toEqual(bound);
        await expect(tokens.findFamily('family-bound')).resolves.toMatchObject({
          dpopJkt: 'jkt-of-the-key',
        });
      });

      it('tells the family of a token, spent or not, as it is now, and nothing of an unknown one', async () => {
        await tokens.rotate('h1', next('h2', NOW + 1), NOW + 1, GRACE);
        await tokens.revokeFamily('family-1', alice.id, NOW + 5);

        const now = { ...family, lastSeenAt: NOW + 1, revokedAt: NOW + 5 };
        await expect(tokens.familyOfToken('h1')).resolves.toEqual(now);
        await expect(tokens.familyOfToken('h2')).resolves.toEqual(now);
        await expect(tokens.familyOfToken('unknown')).resolves.toBeNull();
      });

      it('revokes one family only for its owner, and only once', async () => {
        await expect(tokens.revokeFamily('family-1', bob.id, NOW + 5)).resolves.toBe(false);
        await expect(tokens.listLive(alice.id, NOW + 5)).resolves.toEqual([family]);
        await expect(tokens.revokeFamily('family-1', alice.id, NOW + 6)).resolves.toBe(true);
        await expect(tokens.revokeFamily('family-1', alice.id, NOW + 7)).resolves.toBe(false);
        await expect(tokens.findFamily('family-1')).resolves.toMatchObject({ revokedAt: NOW + 6 });
        await expect(tokens.revokeFamily('family-unknown', alice.id, NOW + 7)).resolves.toBe(false);
      });

      it("lists one user's revocable families and revokes those named, of that user only", async () => {
        const second = { ...family, id: 'family-2', createdAt: NOW + 1, lastSeenAt: NOW + 1 };
        await tokens.createFamily(second, { hash: 'a2', expiresAt: NOW + 1 + IDLE });
        const ended = { ...family, id: 'family-ended', expiresAt: NOW + 2 };
        await tokens.createFamily(ended, { hash: 'a3', expiresAt: NOW + IDLE });
        const bobs = { ...family, id: 'family-bob', userId: bob.id };
        await tokens.createFamily(bobs, { hash: 'b1', expiresAt: NOW + IDLE });

        await expect(tokens.revocableFamilies(alice.id, NOW + 5)).resolves.toEqual([
          family,
          second,
        ]);
        const revoked = await tokens.revokeFamilies(
          alice.id,
          ['family-1', 'family-2', 'family-ended', 'family-bob'],
          NOW + 5,
        );

        expect([...revoked].sort()).toEqual(['family-1', 'family-2']);
        await expect(tokens.revocableFamilies(alice.id, NOW + 5)).resolves.toEqual([]);
        await expect(tokens.listLive(bob.id, NOW + 5)).resolves.toEqual([bobs]);
        await expect(tokens.revokeFamilies(alice.id, ['family-1'], NOW + 6)).resolves.toEqual([]);
        await expect(tokens.revokeFamilies(alice.id, [], NOW + 6)).resolves.toEqual([]);
      });

      it('lists only live families, oldest first', async () => {
        const older = { ...family, id: 'family-older', createdAt: NOW - 10, lastSeenAt: NOW - 10 };
        await tokens.createFamily(older, { hash: 'o1', expiresAt: NOW + IDLE });
        await tokens.createFamily(
          { ...family, id: 'family-revoked' },
          { hash: 'r1', expiresAt: NOW + IDLE },
        );
        await tokens.revokeFamily('family-revoked', alice.id, NOW + 1);
        await tokens.createFamily(
          { ...family, id: 'family-ending', expiresAt: NOW + 2 },
          { hash: 'e1', expiresAt: NOW + IDLE },
        );
        await tokens.createFamily(
          { ...family, id: 'family-bob', userId: bob.id },
          { hash: 'b1', expiresAt: NOW + IDLE },
        );

        await expect(tokens.listLive(alice.id, NOW + 2)).resolves.toEqual([older, family]);
      });

      it('deletes the families that ended before a time, with their tokens', async () => {
        const add = (id: string, hash: string, expiresAt = NOW + DAY): Promise<void> =>
          tokens.createFamily({ ...family, id, expiresAt }, { hash, expiresAt: NOW + IDLE });
        await add('family-revoked-early', 're1');
        await tokens.rotate('re1', next('re2', NOW + 1), NOW + 1, 0);
        await tokens.revokeFamily('family-revoked-early', alice.id, NOW + 10);
        await add('family-expired', 'x1', NOW + 20);
        await add('family-revoked-late', 'rl1');
        await tokens.revokeFamily('family-revoked-late', alice.id, NOW + 200);

        await expect(tokens.deleteEndedBefore(NOW + 100)).resolves.toBe(2);

        await expect(tokens.findFamily('family-revoked-early')).resolves.toBeNull();
        await expect(tokens.findFamily('family-expired')).resolves.toBeNull();
        await expect(tokens.findFamily('family-revoked-late')).resolves.not.toBeNull();
        await expect(tokens.findFamily('family-1')).resolves.toEqual(family);
        await expect(
          sql.query<{ token_hash: string }>(
            'SELECT token_hash FROM refresh_tokens ORDER BY token_hash',
          ),
        ).resolves.toEqual([{ token_hash: 'h1' }, { token_hash: 'rl1' }]);
        await expect(tokens.deleteEndedBefore(NOW + 100)).resolves.toBe(0);
      });
    });

    describe(SqlSigningKeyRepository.name, () => {
      let keys: SqlSigningKeyRepository;

      beforeEach(() => {
        keys = new SqlSigningKeyRepository(sql);
      });

      it('lists every key as stored, newest activation first, ties by kid descending', async () => {
        const records = [
          key('a', NOW, NOW + 20),
          key('b', NOW + 5, NOW + 10),
          key('c', NOW + 1, NOW + 20),
          { ...key('d', NOW - 50), retiredAt: NOW },
        ];
        for (const record of records) await keys.insert(record);
        await expect(keys.listAll()).resolves.toEqual([
          records[2],
          records[0],
          records[1],
          records[3],
        ]);
      });

      it('inserts a scheduled key only when none was created since', async () => {
        await keys.insert(key('existing', NOW));
        await expect(keys.insertUnlessCreatedSince(key('k1', NOW + 10), NOW)).resolves.toBe(false);
        await expect(keys.insertUnlessCreatedSince(key('k2', NOW + 10), NOW + 1)).resolves.toBe(
          true,
        );
        await expect(keys.insertUnlessCreatedSince(key('k3', NOW + 11), NOW + 1)).resolves.toBe(
          false,
        );
        expect((await keys.listAll()).map((record) => record.kid)).toEqual(['k2', 'existing']);
      });

      it('adds one scheduled key when replicas race on two clients', async () => {
        const [a, b] = await backend.openPair();
        try {
          await a.migrate(authMigrations);
          const replicas = [new SqlSigningKeyRepository(a), new SqlSigningKeyRepository(b)];
          const inserted = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              replicas[i % 2].insertUnlessCreatedSince(key(`kid-${i}`, NOW + i), NOW),
            ),
          );
          expect(inserted.filter(Boolean)).toHaveLength(1);
          await expect(replicas[1].listAll()).resolves.toHaveLength(1);
        } finally {
          await Promise.all([a.close(), b.close()]);
        }
      });

      it('removes the keys with the given kids, private halves included', async () => {
        for (const kid of ['a', 'b', 'c']) await keys.insert(key(kid, NOW));
        await expect(keys.remove(['a', 'c', 'unknown'])).resolves.toBe(2);
        await expect(keys.remove([])).resolves.toBe(0);
        await expect(sql.query('SELECT kid, private_key FROM signing_keys')).resolves.toEqual([
          { kid: 'b', private_key: 'v1.b' },
        ]);
      });
    });

    describe('migration 008-second-factor', () => {
      it('reads a family from before it as a password login at its creation', async () => {
        const old = await backend.open();
        try {
          await old.migrate(authMigrations.filter((migration) => migration.id < '008'));
          await old.execute(
            'INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)',
            [alice.id, alice.email, alice.passwordHash, alice.createdAt],
          );
          await old.execute(
            `INSERT INTO token_families (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
            ['family-old', alice.id, NOW - 7, NOW + DAY],
          );

          await old.migrate(authMigrations);

          await expect(
            new SqlRefreshTokenRepository(old).findFamily('family-old'),
          ).resolves.toMatchObject({ amr: ['pwd'], authTime: NOW - 7 });
        } finally {
          await old.close();
        }
      });
    });

    describe('token families and their authentication', () => {
      it('keep the amr and auth_time of the login through a rotation', async () => {
        await new SqlUserRepository(sql).create(alice);
        const tokens = new SqlRefreshTokenRepository(sql);
        await tokens.createFamily(
          { ...family, amr: ['pwd', 'otp'], authTime: NOW - 5 },
          { hash: 'h1', expiresAt: NOW + IDLE },
        );
        const outcome = await tokens.rotate('h1', next('h2', NOW + 1000), NOW + 1000, GRACE);
        expect(outcome).toMatchObject({
          kind: 'rotated',
          family: { amr: ['pwd', 'otp'], authTime: NOW - 5 },
        });
      });
    });

    describe(SqlTotpFactorRepository.name, () => {
      let factors: SqlTotpFactorRepository;

      beforeEach(async () => {
        await new SqlUserRepository(sql).create(alice);
        factors = new SqlTotpFactorRepository(sql);
      });

      it('replaces a pending secret and refuses a new one once confirmed', async () => {
        await expect(factors.savePending(alice.id, 'sealed-1', NOW)).resolves.toBe(true);
        await expect(factors.savePending(alice.id, 'sealed-2', NOW + 1)).resolves.toBe(true);
        await expect(factors.find(alice.id)).resolves.toEqual({
          userId: alice.id,
          sealedSecret: 'sealed-2',
          createdAt: NOW + 1,
          confirmedAt: null,
          lastUsedStep: null,
        });
        await expect(factors.confirm(alice.id, 100, NOW + 2)).resolves.toBe(true);
        await expect(factors.confirm(alice.id, 101, NOW + 3)).resolves.toBe(false);
        await expect(factors.savePending(alice.id, 'sealed-3', NOW + 4)).resolves.toBe(false);
        await expect(factors.find(alice.id)).resolves.toMatchObject({
          sealedSecret: 'sealed-2',
          confirmedAt: NOW + 2,
          lastUsedStep: 100,
        });
      });

      it('confirms nothing when no enrolment is pending', async () => {
        await expect(factors.confirm(alice.id, 100, NOW)).resolves.toBe(false);
        await expect(factors.find(alice.id)).resolves.toBeNull();
      });

      it('accepts each time step once, and never an earlier one', async () => {
        await factors.savePending(alice.id, 'sealed', NOW);
        await expect(factors.useStep(alice.id, 99)).resolves.toBe(false);
        await factors.confirm(alice.id, 100, NOW);
        await expect(factors.useStep(alice.id, 100)).resolves.toBe(false);
        await expect(factors.useStep(alice.id, 101)).resolves.toBe(true);
        await expect(factors.useStep(alice.id, 101)).resolves.toBe(false);
        await expect(factors.useStep(alice.id, 100)).resolves.toBe(false);
      });

      it('lets one of concurrent uses of a step win', async () => {
        await factors.savePending(alice.id, 'sealed', NOW);
        await factors.confirm(alice.id, 100, NOW);
        const used = await Promise.all(
          Array.from({ length: 8 }, () => factors.useStep(alice.id, 101)),
        );
        expect(used.filter(Boolean)).toHaveLength(1);
      });

      it('disables a confirmed factor with its recovery codes, and nothing else', async () => {
        const codes = new SqlRecoveryCodeRepository(sql);
        await factors.savePending(alice.id, 'sealed', NOW);
        await expect(factors.disable(alice.id)).resolves.toBe(false);
        await factors.confirm(alice.id, 100, NOW);
        await codes.replace(alice.id, ['c1', 'c2'], NOW);
        await expect(factors.disable(alice.id)).resolves.toBe(true);
        await expect(factors.find(alice.id)).resolves.toBeNull();
        await expect(codes.countLeft(alice.id)).resolves.toBe(0);
        await expect(factors.disable(alice.id)).resolves.toBe(false);
      });
    });

    describe(SqlRecoveryCodeRepository.name, () => {
      let codes: SqlRecoveryCodeRepository;

      beforeEach(async () => {
        await new SqlUserRepository(sql).create(alice);
        await new SqlUserRepository(sql).create(bob);
        codes = new SqlRecoveryCodeRepository(sql);
        await codes.replace(alice.id, ['a1', 'a2', 'a3'], NOW);
      });

      it('spends a code once, and only for its own user', async () => {
        await expect(codes.use(bob.id, 'a1', NOW)).resolves.toBe(false);
        await expect(codes.use(alice.id, 'a1', NOW)).resolves.toBe(true);
        await expect(codes.use(alice.id, 'a1', NOW)).resolves.toBe(false);
        await expect(codes.use(alice.id, 'unknown', NOW)).resolves.toBe(false);
        await expect(codes.countLeft(alice.id)).resolves.toBe(2);
      });

      it('lets one of concurrent uses of a code win', async () => {
        const used = await Promise.all(
          Array.from({ length: 8 }, () => codes.use(alice.id, 'a2', NOW)),
        );
        expect(used.filter(Boolean)).toHaveLength(1);
      });

      it('replaces every code of the user', async () => {
        await codes.replace(bob.id, ['b1'], NOW);
        await codes.replace(alice.id, ['a9'], NOW);
        await expect(codes.use(alice.id, 'a1', NOW)).resolves.toBe(false);
        await expect(codes.countLeft(alice.id)).resolves.toBe(1);
        await expect(codes.countLeft(bob.id)).resolves.toBe(1);
      });
    });

    describe(SqlPendingLoginRepository.name, () => {
      let pending: SqlPendingLoginRepository;
      const login = {
        handleHash: 'handle-1',
        userId: alice.id,
        kind: 'session' as const,
        createdAt: NOW,
        expiresAt: NOW + 300_000,
        credentialVersion: 0,
        dpopJkt: null,
      };

      beforeEach(async () => {
        await new SqlUserRepository(sql).create(alice);
        pending = new SqlPendingLoginRepository(sql);
        await pending.create(login);
      });

      it('finds a live login only for its kind and before it expires', async () => {
        await expect(pending.findLive('handle-1', 'session', NOW + 1)).resolves.toEqual({
          ...login,
          usedAt: null,
          failedAttempts: 0,
        });
        await expect(pending.findLive('handle-1', 'token', NOW + 1)).resolves.toBeNull();
        await expect(pending.findLive('handle-1', 'session', NOW + 300_000)).resolves.toBeNull();
        await expect(pending.findLive('unknown', 'session', NOW)).resolves.toBeNull();
      });

      it('is consumed once, by its own kind, before it expires', async () => {
        await expect(pending.consume('handle-1', 'token', NOW)).resolves.toBeNull();
        await expect(pending.consume('handle-1', 'session', NOW + 300_000)).resolves.toBeNull();
        const results = await Promise.all(
          Array.from({ length: 6 }, () => pending.consume('handle-1', 'session', NOW + 1)),
        );
        expect(results.filter((result) => result !== null)).toHaveLength(1);
        await expect(pending.findLive('handle-1', 'session', NOW + 2)).resolves.toBeNull();
      });

      it('dies once the wrong codes reach the limit', async () => {
        await expect(pending.recordFailure('handle-1', 3, NOW)).resolves.toBe(1);
        await expect(pending.recordFailure('handle-1', 3, NOW)).resolves.toBe(2);
        await expect(pending.findLive('handle-1', 'session', NOW)).resolves.not.toBeNull();
        await expect(pending.recordFailure('handle-1', 3, NOW)).resolves.toBe(3);
        await expect(pending.findLive('handle-1', 'session', NOW)).resolves.toBeNull();
        await expect(pending.recordFailure('handle-1', 3, NOW)).resolves.toBeNull();
        await expect(pending.consume('handle-1', 'session', NOW)).resolves.toBeNull();
      });

      it('deletes expired logins', async () => {
        await pending.create({ ...login, handleHash: 'handle-2', expiresAt: NOW + 10 });
        await expect(pending.deleteExpiredBefore(NOW + 20)).resolves.toBe(1);
        await expect(pending.findLive('handle-1', 'session', NOW)).resolves.not.toBeNull();
      });
    });
  },
);
