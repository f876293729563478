import { Inject, Injectable } from '@nestjs/common';
import type { User } from '@svt/auth/data-access';
import type { DeviceBinding, SessionRecord, SessionStore } from '@svt/shared/data-access-sessions';
import { newSession, SESSION_STORE } from '@svt/shared/data-access-sessions';
import { failClosed } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, sha256Hex } from '@svt/shared/util-security';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { SingleSignOnSessions } from '../oidc/single-sign-on-sessions.service';
import { CredentialsService } from '../shared/credentials.service';
import { RevocationsService } from '../shared/revocations.service';
import type { ClientInfo } from '../shared/request-context';
import type { Authentication } from '../token/tokens.service';

const STORE = 'session store';

/**
 * Cookie sessions: a random secret in the cookie, its hash as the store key.
 * Each has an absolute timeout (SESSION_TTL) and an idle one
 * (SESSION_IDLE_TTL), both enforced by the store (OWASP Session Management).
 * Ending a session also denies its handle, first, so identity tokens the
 * gateway minted for it stop working at once.
 */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly revocations: RevocationsService,
    private readonly credentials: CredentialsService,
    private readonly singleSignOn: SingleSignOnSessions,
  ) {}

  /**
   * Starts a session with a new id (no fixation: a session id presented at
   * login is ended, never reused) for `user` as its password check read it.
   * Refused with `invalid_credentials` when a password change has committed
   * since that check (see `CredentialsService.assertStillCurrent`). Resolves
   * to the cookie value and record.
   */
  async start(
    user: Pick<User, 'id' | 'credentialVersion'>,
    client: ClientInfo,
    previousSecret?: string,
    deviceBinding?: DeviceBinding,
    authentication?: Authentication,
  ): Promise<{ secret: string; session: SessionRecord }> {
    const { secret, record: session } = newSession(
      {
        userId: user.id,
        ttlSeconds: this.config.SESSION_TTL,
        idleTtlSeconds: this.config.SESSION_IDLE_TTL,
        client,
        credentialVersion: user.credentialVersion,
        ssoSid: null,
        deviceBinding,
        amr: authentication?.amr,
        authTime: authentication?.authTime,
      },
      this.clock.now(),
    );
    if (previousSecret) await this.end(previousSecret);
    await failClosed(this.store.create(session), STORE);
    try {
      await this.credentials.assertStillCurrent(user);
    } catch (error) {
      // Nobody holds its cookie yet: deleting it is enough.
      await failClosed(this.store.delete(session.idHash), STORE);
      throw error;
    }
    return { secret, session };
  }

  /** Ends the session a cookie names; resolves to it, or null when it had ended already. */
  async end(secret: string): Promise<SessionRecord | null> {
    const idHash = sha256Hex(secret);
    const session = await failClosed(this.store.find(idHash), STORE);
    if (!session) return null;
    await this.endOne(session);
    return session;
  }

  list(userId: string): Promise<SessionRecord[]> {
    return failClosed(this.store.listByUser(userId), STORE);
  }

  /** Ends the user's session with this handle; false when the user has none such. */
  async revoke(userId: string, handle: string): Promise<boolean> {
    const sessions = await this.list(userId);
    const session = sessions.find((candidate) => candidate.handle === handle);
    if (!session) return false;
    await this.endOne(session);
    return true;
  }

  /**
   * Ends every session the user has now, or with `olderThan` those started
   * under an older credential version, except the one with handle `except`;
   * resolves to their handles. A session started meanwhile is a later
   * login's and is left alone (a login racing a password change refuses
   * itself, see `start`).
   */
  async endAll(userId: string, olderThan = Infinity, except?: string): Promise<string[]> {
    const sessions = (await this.list(userId)).filter(
      (session) => session.credentialVersion < olderThan && session.handle !== except,
    );
    await this.endSessions(sessions);
    return sessions.map((session) => session.handle);
  }

  /**
   * One session ended on its own (a logout, a revocation). One a relying
   * party started by single sign-on ends the OP session it came from too,
   * and with it the user's sessions at every other site (Back-Channel
   * Logout): signing out on SHOP signs the cart site out. `endAll` leaves
   * that to its caller, which ends every OP session of the user at once
   * (`SignOutService`).
   */
  private async endOne(session: SessionRecord): Promise<void> {
    await this.endSessions([session]);
    if (session.ssoSid !== null) {
      await this.singleSignOn.endFromClientSid(session.userId, session.ssoSid);
    }
  }

  /** Denies the handles first: if that fails, nothing has ended and a retry finds them all. */
  private async endSessions(sessions: readonly SessionRecord[]): Promise<void> {
    await this.revocations.deny(sessions.map((session) => session.handle));
    await failClosed(
      Promise.all(sessions.map((session) => this.store.delete(session.idHash))),
      STORE,
    );
  }
}
