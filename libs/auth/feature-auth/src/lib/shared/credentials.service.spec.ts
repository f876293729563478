import type { PendingRevocation, User, UserRepository } from '@svt/auth/data-access';
import { AppError } from '@svt/shared/util-errors';
import { CredentialsService } from './credentials.service';
import type { PasswordHasher } from './password-hasher';

/** Deliberately fast and transparent: unit tests only. */
class RecordingHasher implements PasswordHasher {
  readonly verified: string[] = [];
  async hash(password: string): Promise<string> {
    return `hashed:${password}`;
  }
  async verify(hash: string, password: string): Promise<boolean> {
    this.verified.push(hash);
    return hash === `hashed:${password}`;
  }
}

class InMemoryUsers implements UserRepository {
  private readonly users = new Map<string, User>();
  async create(user: User): Promise<'created' | 'email_taken'> {
    if ([...this.users.values()].some((u) => u.email === user.email)) return 'email_taken';
    this.users.set(user.id, user);
    return 'created';
  }
  async findByEmail(email: string): Promise<User | null> {
    return [...this.users.values()].find((u) => u.email === email) ?? null;
  }
  async findById(id: string): Promise<User | null> {
    return this.users.get(id) ?? null;
  }
  async updatePasswordHash(id: string, passwordHash: string): Promise<number | null> {
    const user = this.users.get(id);
    if (!user) return null;
    this.users.set(id, { ...user, passwordHash, credentialVersion: user.credentialVersion + 1 });
    return user.credentialVersion + 1;
  }
  async markEmailVerified(id: string, at: number): Promise<void> {
    const user = this.users.get(id);
    if (user && user.emailVerifiedAt === null) this.users.set(id, { ...user, emailVerifiedAt: at });
  }
  async credentialVersion(id: string): Promise<number | null> {
    return this.users.get(id)?.credentialVersion ?? null;
  }
  async pendingRevocations(): Promise<PendingRevocation[]> {
    return [];
  }
  async revocationDone(): Promise<void> {
    return undefined;
  }
}

async function service(
  requireVerifiedEmail = false,
): Promise<{ credentials: CredentialsService; hasher: RecordingHasher; users: InMemoryUsers }> {
  const hasher = new RecordingHasher();
  const users = new InMemoryUsers();
  const credentials = new CredentialsService(
    users,
    hasher,
    { now: () => 1_000 },
    { REQUIRE_VERIFIED_EMAIL: requireVerifiedEmail },
  );
  await credentials.onModuleInit();
  return { credentials, hasher, users };
}

describe(CredentialsService.name, () => {
  describe('register', () => {
    it('stores the normalised email and only a hash of the password', async () => {
      const { credentials } = await service();
      const user = await credentials.register('  Alice@Example.TEST ', 'correct horse');
      expect(user.email).toBe('alice@example.test');
      expect(user.passwordHash).toBe('hashed:correct horse');
    });

    it('refuses a taken email with email_taken, whatever its case', async () => {
      const { credentials } = await service();
      await credentials.register('alice@example.test', 'correct horse');
      await expect(credentials.register('ALICE@example.test', 'another one')).rejects.toEqual(
        new AppError('email_taken', 'An account with this email already exists.'),
      );
    });
  });

  describe('verify', () => {
    it('returns the user for the right password', async () => {
      const { credentials } = await service();
      const user = await credentials.register('alice@example.test', 'correct horse');
      await expect(credentials.verify('Alice@example.test', 'correct horse')).resolves.toEqual(
        user,
      );
    });

    it('returns null for a wrong password', async () => {
      const { credentials } = await service();
      await credentials.register('alice@example.test', 'correct horse');
      await expect(credentials.verify('alice@example.test', 'wrong horse')).resolves.toBeNull();
    });

    it('still verifies a hash for an unknown email, so both failures cost the same', async () => {
      const { credentials, hasher } = await service();
      await expect(credentials.verify('nobody@example.test', 'whatever')).resolves.toBeNull();
      expect(hasher.verified).toHaveLength(1);
      expect(hasher.verified[0]).toMatch(/^hashed:/);
    });
  });
});

describe('CredentialsService password change', () => {
  it('checks the current password and stores only a hash of the new one', async () => {
    const { credentials } = await service();
    const user = await credentials.register('alice@example.test', 'correct horse');
    await expect(credentials.checkPassword(user, 'wrong horse')).resolves.toBe(false);
    await expect(credentials.checkPassword(user, 'correct horse')).resolves.toBe(true);
    await credentials.setPassword(user.id, 'battery staple');
    await expect(credentials.verify('alice@example.test', 'battery staple')).resolves.toMatchObject(
      {
        passwordHash: 'hashed:battery staple',
      },
    );
    await expect(credentials.verify('alice@example.test', 'correct horse')).resolves.toBeNull();
  });

  it('refuses to set a password for an account that is gone', async () => {
    const { credentials } = await service();
    await expect(credentials.setPassword('no-such-user', 'battery staple')).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  describe('assertMayLogIn', () => {
    it('lets an unverified address log in by default', async () => {
      const { credentials } = await service();
      const user = await credentials.register('alice@example.test', 'correct horse');
      expect(user.emailVerifiedAt).toBeNull();
      expect(() => credentials.assertMayLogIn(user)).not.toThrow();
    });

    it('refuses an unverified address with email_not_verified when verification is required', async () => {
      const { credentials } = await service(true);
      const user = await credentials.register('alice@example.test', 'correct horse');
      expect(() => credentials.assertMayLogIn(user)).toThrow(
        expect.objectContaining({ code: 'email_not_verified' }),
      );
    });

    it('lets a verified address log in when verification is required', async () => {
      const { credentials, users } = await service(true);
      const user = await credentials.register('alice@example.test', 'correct horse');
      await users.markEmailVerified(user.id, 2_000);
      const verified = await credentials.verify('alice@example.test', 'correct horse');
      expect(verified).toMatchObject({ emailVerifiedAt: 2_000 });
      expect(() => credentials.assertMayLogIn(verified ?? user)).not.toThrow();
    });
  });
});
