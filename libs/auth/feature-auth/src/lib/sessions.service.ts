import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { SessionRecord, SessionStore } from '@svt/shared/data-access-sessions';
import { SESSION_STORE } from '@svt/shared/data-access-sessions';
import { failClosed } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, randomSecret, sha256Hex } from '@svt/shared/util-security';
import type { AuthConfig } from './auth.config';
import { AUTH_CONFIG } from './auth.tokens';
import { RevocationsService } from './revocations.service';

const STORE = 'session store';

/** Who is logging in from where, for the session listing. */
export interface ClientInfo {
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/**
 * Cookie sessions: a random secret in the cookie, its hash as the store key.
 * Each has an absolute timeout (SESSION_TTL) and an idle one
 * (SESSION_IDLE_TTL), both enforced by the store (OWASP Session Management).
 * Ending a session also denies its handle, so identity tokens the gateway
 * minted for it stop working at once.
 */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly revocations: RevocationsService,
  ) {}

  /**
   * Starts a session with a new id (no fixation: a session id presented at
   * login is ended, never reused). Resolves to the cookie value and record.
   */
  async start(
    userId: string,
    client: ClientInfo,
    previousSecret?: string,
  ): Promise<{ secret: string; session: SessionRecord }> {
    const now = this.clock.now();
    const secret = randomSecret();
    const session: SessionRecord = {
      idHash: sha256Hex(secret),
      handle: randomUUID(),
      userId,
      csrfToken: randomSecret(),
      createdAt: now,
      expiresAt: now + this.config.SESSION_TTL * 1000,
      lastSeenAt: now,
      idleTimeoutMs: this.config.SESSION_IDLE_TTL * 1000,
      userAgent: client.userAgent?.slice(0, 256) ?? null,
      ip: client.ip,
    };
    if (previousSecret) await this.end(previousSecret);
    await failClosed(this.store.create(session), STORE);
    return { secret, session };
  }

  /** Ends the session a cookie names; resolves to it, or null when it had ended already. */
  async end(secret: string): Promise<SessionRecord | null> {
    const idHash = sha256Hex(secret);
    const session = await failClosed(this.store.find(idHash), STORE);
    await failClosed(this.store.delete(idHash), STORE);
    if (session) await this.revocations.deny([session.handle]);
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
    await failClosed(this.store.delete(session.idHash), STORE);
    await this.revocations.deny([handle]);
    return true;
  }

  /** Ends every session of the user; resolves to their handles. */
  async endAll(userId: string): Promise<string[]> {
    const sessions = await this.list(userId);
    await failClosed(this.store.deleteByUser(userId), STORE);
    const handles = sessions.map((session) => session.handle);
    await this.revocations.deny(handles);
    return handles;
  }
}
