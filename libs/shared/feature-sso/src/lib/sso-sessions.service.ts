import { Inject, Injectable } from '@nestjs/common';
import type { Denylist, SessionRecord, SessionStore } from '@svt/shared/data-access-sessions';
import { DENYLIST, newSession, SESSION_STORE } from '@svt/shared/data-access-sessions';
import { failClosed } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, sha256Hex } from '@svt/shared/util-security';
import { SSO_OPTIONS } from './sso.options';
import type { SsoOptions } from './sso.options';
import type { SsoAuthentication } from './sso-client';

const STORE = 'session store';

/**
 * How long the handle of an ended session stays denied: as AUTH's
 * `RevocationsService` denies it, for as long as any token naming it could
 * live (the longest access token, 900 s, or the gateway's identity tokens,
 * 60 s, plus the verifiers' clock tolerance and a margin). Here only the
 * gateway's identity tokens name an SSO session; the longer bound costs
 * nothing and stays right if that changes.
 */
const DENY_FOR_MS = (Math.max(900, 60) + 10) * 1000;

/** Who is signing in from where, kept with the session for the user's listing at AUTH. */
export interface SsoClientInfo {
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/**
 * The relying party's own sessions: records in the shared SESSION_STORE,
 * beside AUTH's, so that AUTH's session list, logout-all and password change
 * see and end them; the browser holds only the random secret whose hash keys
 * the record, in the service's session cookie.
 */
@Injectable()
export class SsoSessionsService {
  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(DENYLIST) private readonly denylist: Denylist,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SSO_OPTIONS) private readonly options: SsoOptions,
  ) {}

  /**
   * Starts a session for `userId` (the ID token's `sub`) under AUTH's
   * session `ssoSid`, with a new id: a session the browser already had here
   * (`previousSecret`) is ended, never reused (no fixation). Resolves to the
   * cookie value and the record.
   */
  async start(
    userId: string,
    ssoSid: string,
    client: SsoClientInfo,
    previousSecret?: string,
    authentication?: SsoAuthentication,
  ): Promise<{ secret: string; session: SessionRecord }> {
    const { secret, record: session } = newSession(
      {
        userId,
        ttlSeconds: this.options.sessionTtlSeconds,
        idleTtlSeconds: this.options.sessionIdleTtlSeconds,
        client,
        // The relying party never learns the user's credential version (the
        // ID token carries no account data), so it claims the lowest: a
        // password change ends sessions of versions below the new one, which
        // is at least 1, so it always ends SSO sessions too. That is the safe
        // side: a changed password must also end what a stolen AUTH session
        // may have started here.
        credentialVersion: 0,
        ssoSid,
        // How and when the user authenticated at AUTH (a silent sign-in
        // later still carries the login's time); a password login at now
        // when the ID token does not say.
        amr: authentication?.amr,
        authTime: authentication?.authTime,
      },
      this.clock.now(),
    );
    if (previousSecret) await this.end(previousSecret);
    await failClosed(this.store.create(session), STORE);
    return { secret, session };
  }

  /** The live session a cookie names, or null. */
  find(secret: string): Promise<SessionRecord | null> {
    return failClosed(this.store.find(sha256Hex(secret)), STORE);
  }

  /** Ends the session a cookie names; resolves to it, or null when it had ended already. */
  async end(secret: string): Promise<SessionRecord | null> {
    const session = await failClosed(this.store.find(sha256Hex(secret)), STORE);
    if (!session) return null;
    await this.endSessions([session]);
    return session;
  }

  /**
   * Ends the user's sessions here that AUTH's session `ssoSid` started
   * (back-channel logout); resolves to how many.
   */
  async endBySsoSid(userId: string, ssoSid: string): Promise<number> {
    const sessions = (await failClosed(this.store.listByUser(userId), STORE)).filter(
      (session) => session.ssoSid === ssoSid,
    );
    await this.endSessions(sessions);
    return sessions.length;
  }

  /**
   * Denies the handles first, so that identity tokens the gateway minted for
   * them die at CART at once; if that fails nothing has ended, and a retry
   * finds them all.
   */
  private async endSessions(sessions: readonly SessionRecord[]): Promise<void> {
    if (sessions.length === 0) return;
    const until = this.clock.now() + DENY_FOR_MS;
    await failClosed(
      Promise.all(sessions.map((session) => this.denylist.deny(session.handle, until))),
      'revocation list',
    );
    await failClosed(
      Promise.all(sessions.map((session) => this.store.delete(session.idHash))),
      STORE,
    );
  }
}
