import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { User } from '@svt/auth/data-access';
import { createLogger } from '@svt/shared/util-http';
import type { AuthConfig } from '../auth.config';
import { authConfigSchema } from '../auth.config';
import { AuthModule } from '../auth.module';
import { CredentialsService } from '../shared/credentials.service';
import type { PasswordHasher } from '../shared/password-hasher';
import { PASSWORD_HASHER } from '../shared/password-hasher';
import type { ClientInfo } from '../shared/request-context';
import { SessionsService } from '../session/sessions.service';
import { SignOutService } from './sign-out.service';
import { TokensService } from '../token/tokens.service';

/**
 * A transparent hasher whose next `verify` can be held after it has read the
 * user and before it answers: the point where a login that races a password
 * change has the old hash in hand. Unit tests only.
 */
class GatedHasher implements PasswordHasher {
  private gate: { reached: () => void; released: Promise<void> } | null = null;

  async hash(password: string): Promise<string> {
    return `hashed:${password}`;
  }

  async verify(hash: string, password: string): Promise<boolean> {
    const gate = this.gate;
    this.gate = null;
    if (gate) {
      gate.reached();
      await gate.released;
    }
    return hash === `hashed:${password}`;
  }

  /** Holds the next `verify`; `reached` resolves once it is held. */
  holdNextVerify(): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.gate = { reached, released };
    return { reached: reachedPromise, release };
  }
}

const client: ClientInfo = { userAgent: 'jest', ip: '127.0.0.1' };

/**
 * OWASP Session Management Cheat Sheet, "Renew the session ID after any
 * privilege level change": a password change ends every session and token
 * family. A login whose password check read the user before the change, and
 * that writes its session or family after the change has ended everything,
 * must not survive it. The interleaving is forced, not left to timing: the
 * login is held inside its password check while the change runs.
 */
describe('a login racing a password change', () => {
  let dataDir: string;
  let app: INestApplication;
  let hasher: GatedHasher;
  let credentials: CredentialsService;
  let sessions: SessionsService;
  let tokens: TokensService;
  let signOut: SignOutService;
  let user: User;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'svt-race-'));
    const config: AuthConfig = authConfigSchema.parse({ NODE_ENV: 'test', DATA_DIR: dataDir });
    hasher = new GatedHasher();
    const quiet = await createLogger({ format: 'json', destination: { write: () => undefined } });
    const moduleRef = await Test.createTestingModule({
      imports: [AuthModule.forRoot(config, quiet)],
    })
      .overrideProvider(PASSWORD_HASHER)
      .useValue(hasher)
      .compile();
    app = moduleRef.createNestApplication();
    await app.init();
    credentials = app.get(CredentialsService);
    sessions = app.get(SessionsService);
    tokens = app.get(TokensService);
    signOut = app.get(SignOutService);
    user = await credentials.register('alice@example.test', 'old password');
  });

  afterEach(async () => {
    await app?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Checks the old password, and changes it while that check is held. */
  async function checkOldPasswordDuringChange(): Promise<User> {
    const gate = hasher.holdNextVerify();
    const check = credentials.verify(user.email, 'old password');
    await gate.reached;
    const credentialVersion = await credentials.setPassword(user.id, 'new password');
    await signOut.afterPasswordChange({ userId: user.id, credentialVersion });
    gate.release();
    const checked = await check;
    if (!checked) throw new Error('set-up: the old password did not match the old hash');
    return checked;
  }

  it('refuses the cookie session it would start, and leaves none behind', async () => {
    const stale = await checkOldPasswordDuringChange();

    await expect(sessions.start(stale, client)).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    await expect(sessions.list(user.id)).resolves.toEqual([]);
  });

  it('refuses the token family it would start, and leaves none live', async () => {
    const stale = await checkOldPasswordDuringChange();

    await expect(tokens.login(stale, client, null)).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    await expect(tokens.list(user.id)).resolves.toEqual([]);
  });

  it('lets a login with the password checked after the change through (the control)', async () => {
    await checkOldPasswordDuringChange();
    const current = await credentials.verify(user.email, 'new password');
    if (!current) throw new Error('set-up: the new password did not match');

    await expect(sessions.start(current, client)).resolves.toMatchObject({
      session: { userId: user.id, credentialVersion: 1 },
    });
    await expect(tokens.login(current, client, null)).resolves.toMatchObject({
      token_type: 'Bearer',
    });
  });

  it('ends, with the change, the sessions and families of older versions only', async () => {
    const before = await sessions.start(user, client);
    await tokens.login(user, client, null);
    const credentialVersion = await credentials.setPassword(user.id, 'new password');
    const after = await sessions.start({ ...user, credentialVersion }, client);

    const signedOut = await signOut.afterPasswordChange({ userId: user.id, credentialVersion });

    expect(signedOut.sessions).toEqual([before.session.handle]);
    expect(signedOut.families).toHaveLength(1);
    await expect(sessions.list(user.id)).resolves.toEqual([after.session]);
  });
});
