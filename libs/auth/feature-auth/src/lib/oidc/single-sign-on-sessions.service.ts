import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OidcPayload, OidcStateStore } from '@svt/shared/data-access-sessions';
import { OIDC_STATE_STORE } from '@svt/shared/data-access-sessions';
import { failClosed } from '@svt/shared/util-http';
import { AuditLog } from '../shared/audit-log';
import { OpenIdProvider } from './openid-provider';

const STORE = 'single sign-on store';
const SESSION = 'Session';

/** oidc-provider's client, with the method its end_session uses (not in its typings). */
interface BackChannelClient {
  readonly backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

/** A client's part of an OP session, as oidc-provider keeps it. */
interface Authorization {
  readonly sid?: string;
  readonly grantId?: string;
}

/**
 * Ends sessions at the OpenID Provider from outside a logout request:
 * logout-all, a password change, and the end of a relying party's session
 * that came from single sign-on. Each relying party the OP session signed
 * into hears it through Back-Channel Logout 1.0 (a logout token naming its
 * `sid`) and ends its own session; the grants are revoked; then the OP
 * session goes, so no relying party signs in silently with it again.
 */
@Injectable()
export class SingleSignOnSessions {
  private readonly logger = new Logger(SingleSignOnSessions.name);

  constructor(
    private readonly openId: OpenIdProvider,
    @Inject(OIDC_STATE_STORE) private readonly store: OidcStateStore,
    private readonly audit: AuditLog,
  ) {}

  /** Ends every OP session of the user; resolves to how many there were. */
  async endAll(userId: string): Promise<number> {
    const sessions = await this.sessionsOf(userId);
    await Promise.all(sessions.map(([id, session]) => this.end(id, session)));
    return sessions.length;
  }

  /**
   * Ends the OP session whose authorization of some relying party carries
   * `sid` (the `sid` of that party's ID token, which its session keeps);
   * false when none does (already ended).
   */
  async endFromClientSid(userId: string, sid: string): Promise<boolean> {
    const found = (await this.sessionsOf(userId)).find(([, session]) =>
      Object.values(authorizationsOf(session)).some((authorization) => authorization.sid === sid),
    );
    if (!found) return false;
    await this.end(...found);
    return true;
  }

  private async sessionsOf(userId: string): Promise<[string, OidcPayload][]> {
    const ids = await failClosed(this.store.sessionIdsByAccount(userId), STORE);
    const sessions = await failClosed(
      Promise.all(ids.map((id) => this.store.find(SESSION, id))),
      STORE,
    );
    return ids.flatMap((id, i) => {
      const session = sessions[i];
      return session ? [[id, session] as [string, OidcPayload]] : [];
    });
  }

  private async end(id: string, session: OidcPayload): Promise<void> {
    const accountId = String(session.accountId);
    const authorizations = Object.entries(authorizationsOf(session));
    // The OP session first: from now on no relying party signs in silently.
    await failClosed(this.store.destroy(SESSION, id), STORE);
    await Promise.all(
      authorizations.map(async ([clientId, { sid, grantId }]) => {
        if (grantId) await failClosed(this.store.revokeByGrantId(grantId), STORE);
        if (sid) await this.tell(clientId, accountId, sid);
      }),
    );
    this.audit.record('sso.session_ended', {
      userId: accountId,
      relyingParties: authorizations.length,
    });
  }

  /**
   * One logout token to the relying party. A party that cannot be reached
   * still ends its session: its record is in the shared session store, which
   * the caller ends too (logout-all, password change), or it expires.
   */
  private async tell(clientId: string, accountId: string, sid: string): Promise<void> {
    const client = (await this.openId.provider.Client.find(clientId)) as
      | BackChannelClient
      | undefined;
    if (!client?.backchannelLogoutUri) return;
    try {
      await client.backchannelLogout(accountId, sid);
    } catch (error) {
      this.logger.warn(`Back-channel logout to ${clientId} failed: ${(error as Error).message}`);
    }
  }
}

function authorizationsOf(session: OidcPayload): Record<string, Authorization> {
  const authorizations = session['authorizations'];
  return typeof authorizations === 'object' && authorizations !== null
    ? (authorizations as Record<string, Authorization>)
    : {};
}
