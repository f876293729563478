import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { SessionRecord, SessionStore } from '@svt/shared/data-access-sessions';
import { SESSION_STORE } from '@svt/shared/data-access-sessions';
import { AppError } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, randomSecret, sha256Hex } from '@svt/shared/util-security';
import type { AuthConfig } from './auth.config';
import { AUTH_CONFIG } from './auth.tokens';

/** Who is logging in from where, for the session listing. */
export interface ClientInfo {
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/** Cookie sessions: a random secret in the cookie, its hash as the store key. */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Starts a session with a new id (no fixation: a session id presented at
   * login is destroyed, never reused). Resolves to the cookie value and record.
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
      userAgent: client.userAgent?.slice(0, 256) ?? null,
      ip: client.ip,
    };
    await this.guard(async () => {
      if (previousSecret) await this.store.delete(sha256Hex(previousSecret));
      await this.store.create(session);
    });
    return { secret, session };
  }

  end(secret: string): Promise<void> {
    return this.guard(() => this.store.delete(sha256Hex(secret)));
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new AppError('store_unavailable', 'The session store is unavailable.', {
        cause: error,
      });
    }
  }
}
