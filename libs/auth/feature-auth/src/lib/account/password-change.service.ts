import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Identity } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import { AuditLog } from '../shared/audit-log';
import { CredentialsService } from '../shared/credentials.service';
import { ThrottleService } from '../shared/throttle.service';
import type { SessionResponse } from '../session/cookie-session.service';
import { CookieSessionService } from '../session/cookie-session.service';
import type { ClientInfo } from '../shared/request-context';
import type { TokenResponse } from '../token/tokens.service';
import { TokensService } from '../token/tokens.service';
import type { SignedOut } from './sign-out.service';
import { SignOutService } from './sign-out.service';

/**
 * A password change is a privilege change. Every session and token family
 * of the user ends, the caller's included, and the caller gets a new
 * credential of the kind it used: a new session cookie, or a new token pair.
 */
@Injectable()
export class PasswordChangeService {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly cookieSessions: CookieSessionService,
    private readonly tokens: TokensService,
    private readonly signOut: SignOutService,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditLog,
  ) {}

  async change(
    identity: Identity,
    passwords: { readonly currentPassword: string; readonly newPassword: string },
    client: ClientInfo,
    reply: FastifyReply,
  ): Promise<SessionResponse | TokenResponse> {
    const user = await this.credentials.authenticatedUser(identity.userId);
    // Counted on the caller's session, not the account: guesses at the login
    // form cannot lock a signed-in owner out of changing the password.
    const check = await this.throttle.beginPasswordCheck({ session: identity.sessionId });
    if (!(await this.credentials.checkPassword(user, passwords.currentPassword))) {
      this.audit.record('password.change_failed', { userId: user.id, ip: client.ip });
      this.throttle.passwordFailed(check, { ip: client.ip });
      throw new AppError('wrong_password', 'The current password is wrong.');
    }
    await this.throttle.passwordMatched(check);
    // The new password and credential version commit first; the sign-out
    // they owe then ends everything older. Should it fail halfway, the
    // change stays pending and SignOutService finishes it within a second
    // of the stores answering again.
    const credentialVersion = await this.credentials.setPassword(user.id, passwords.newPassword);
    const changed = { ...user, credentialVersion };
    let signedOut: SignedOut;
    try {
      signedOut = await this.signOut.afterPasswordChange(
        { userId: user.id, credentialVersion },
        identity.sessionId,
      );
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      throw new AppError(
        error.code,
        'The password was changed; ending the other sessions is retried until it completes. Log in with the new password.',
        { cause: error },
      );
    }
    this.audit.record('password.changed', {
      userId: user.id,
      sessions: signedOut.sessions.length,
      families: signedOut.families.length,
      ip: client.ip,
    });
    reply.header('cache-control', 'no-store');
    // The new credential stands for the same login: its factors and their
    // time carry over, so a password change is no way to refresh a step-up.
    const authentication = identity.amr
      ? { amr: identity.amr, authTime: identity.authTime }
      : undefined;
    if (identity.credential === 'session-cookie') {
      const started = await this.cookieSessions.start(
        changed,
        client,
        reply,
        undefined,
        authentication,
      );
      return started.body;
    }
    // A bound caller's new family stays bound to the key it proved for this request.
    return this.tokens.login(changed, client, identity.boundKey ?? null, authentication);
  }
}
