import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { PendingRevocation, UserRepository } from '@svt/auth/data-access';
import { USER_REPOSITORY } from '@svt/auth/data-access';
import { SingleSignOnSessions } from '../oidc/single-sign-on-sessions.service';
import { SessionsService } from '../session/sessions.service';
import { TokensService } from '../token/tokens.service';

/** How often pending sign-outs of password changes are retried. */
const RETRY_INTERVAL_MS = 500;

/**
 * Awaits every one of `work`, so that nothing is still running when the
 * caller answers; rejects with the first failure, if any.
 */
async function allSettled<T extends readonly unknown[]>(
  work: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const settled = await Promise.allSettled(work);
  for (const outcome of settled) {
    if (outcome.status === 'rejected') throw outcome.reason;
  }
  return settled.map(
    (outcome) => (outcome as PromiseFulfilledResult<unknown>).value,
  ) as unknown as T;
}

/** What ending everything ended. */
export interface SignedOut {
  readonly sessions: readonly string[];
  readonly families: readonly string[];
}

/**
 * Ends every session, token family and single sign-on session of a user:
 * logout-all, and the sign-out
 * a password change owes. The change commits first (the new password and a
 * new credential version, in one statement) and stays pending in the user's
 * row until its sign-out has finished, so a sign-out that failed halfway (the
 * denylist or the session store unreachable) is finished by a retry every
 * 500 ms on any replica rather than lost: the old credentials die soon after
 * the stores answer again, whether or not the client retries.
 */
@Injectable()
export class SignOutService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SignOutService.name);
  private timer: NodeJS.Timeout | null = null;
  private retrying = false;
  private failing = false;

  constructor(
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly singleSignOn: SingleSignOnSessions,
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.retryPending(), RETRY_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Ends every session and token family the user has now, or with
   * `olderThan` those started under an older credential version. The
   * caller's own (`caller`, a session handle or family id) ends last, once
   * all the others have: when something fails before, the caller still holds
   * a credential to retry with, and the retry finds what is left.
   */
  async everywhere(
    userId: string,
    options: { readonly olderThan?: number; readonly caller?: string } = {},
  ): Promise<SignedOut> {
    const { olderThan, caller } = options;
    const [sessions, families] = await allSettled([
      this.sessions.endAll(userId, olderThan, caller),
      this.tokens.endAll(userId, olderThan, caller),
      // Single sign-on sessions carry no credential version: all end.
      this.singleSignOn.endAll(userId),
    ]);
    if (caller === undefined) return { sessions, families };
    const [ownSession, ownFamily] = await allSettled([
      this.sessions.revoke(userId, caller),
      this.tokens.revokeFamily(userId, caller),
    ]);
    return {
      sessions: ownSession ? [...sessions, caller] : sessions,
      families: ownFamily ? [...families, caller] : families,
    };
  }

  /**
   * Ends every session and token family of the user but the caller's own
   * (`caller`, a session handle or family id), and every single sign-on
   * session: a privilege change made from a credential that stays valid.
   */
  async othersThan(userId: string, caller: string): Promise<SignedOut> {
    const [sessions, families] = await allSettled([
      this.sessions.endAll(userId, undefined, caller),
      this.tokens.endAll(userId, undefined, caller),
      this.singleSignOn.endAll(userId),
    ]);
    return { sessions, families };
  }

  /**
   * The sign-out a password change owes: every session and family of the
   * versions before it (never the new credential the caller is given, nor a
   * login with the new password); settles the pending change once done.
   */
  async afterPasswordChange(revocation: PendingRevocation, caller?: string): Promise<SignedOut> {
    const signedOut = await this.everywhere(revocation.userId, {
      olderThan: revocation.credentialVersion,
      caller,
    });
    await this.users.revocationDone(revocation);
    return signedOut;
  }

  /** Finishes the sign-outs of password changes that failed halfway. */
  async retryPending(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      for (const revocation of await this.users.pendingRevocations()) {
        await this.afterPasswordChange(revocation);
      }
      if (this.failing) this.logger.log('Pending sign-outs are finished');
      this.failing = false;
    } catch (error) {
      // Once per outage: it is retried every interval until it works.
      if (!this.failing) {
        this.logger.warn(`A pending sign-out failed (retrying): ${(error as Error).message}`);
      }
      this.failing = true;
    } finally {
      this.retrying = false;
    }
  }
}
