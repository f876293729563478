import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Identity, SessionCookie } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import { SESSION_COOKIE } from '../auth.tokens';
import { AuditLog } from '../shared/audit-log';
import { iso } from '../shared/public-user';
import type { ClientInfo } from '../shared/request-context';
import { SessionsService } from '../session/sessions.service';
import { TokensService } from '../token/tokens.service';
import { SignOutService } from './sign-out.service';

/** One row of `GET /auth/sessions`: a cookie session or a token family. */
export interface SessionListing {
  readonly id: string;
  readonly method: 'session' | 'bearer' | 'dpop';
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly current: boolean;
  /** A cookie session bound to a device key (DBSC); never a token family. */
  readonly deviceBound: boolean;
  /** How the user authenticated at the login that started it (RFC 8176). */
  readonly amr: readonly string[];
}

/**
 * The user's own sessions and token families (OWASP ASVS 5.0 §7.5): list
 * them, end one, end all. Ending the caller's own cookie session clears its
 * cookie on the reply.
 */
@Injectable()
export class AccountSessionsService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly signOut: SignOutService,
    private readonly audit: AuditLog,
    @Inject(SESSION_COOKIE) private readonly cookie: SessionCookie,
  ) {}

  async list(identity: Identity): Promise<SessionListing[]> {
    const [sessions, families] = await Promise.all([
      this.sessions.list(identity.userId),
      this.tokens.list(identity.userId),
    ]);
    const rows = [
      ...sessions.map((session) => ({
        ...session,
        id: session.handle,
        method: 'session' as const,
        deviceBound: session.deviceBinding?.key != null,
      })),
      ...families.map((family) => ({
        ...family,
        method: family.dpopJkt === null ? ('bearer' as const) : ('dpop' as const),
        deviceBound: false,
      })),
    ];
    return rows
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((row) => ({
        id: row.id,
        method: row.method,
        createdAt: iso(row.createdAt),
        lastSeenAt: iso(row.lastSeenAt),
        userAgent: row.userAgent,
        ip: row.ip,
        current: row.id === identity.sessionId,
        deviceBound: row.deviceBound,
        amr: row.amr,
      }));
  }

  async revoke(
    identity: Identity,
    id: string,
    client: ClientInfo,
    reply: FastifyReply,
  ): Promise<void> {
    const ended =
      (await this.sessions.revoke(identity.userId, id)) ||
      (await this.tokens.revokeFamily(identity.userId, id));
    if (!ended) throw new AppError('not_found', 'You have no session with this id.');
    if (id === identity.sessionId && identity.credential === 'session-cookie') {
      reply.clearCookie(this.cookie.name, this.cookie.clear());
      reply.clearCookie(this.cookie.boundName, this.cookie.clear());
    }
    this.audit.record('session.revoked', { userId: identity.userId, sessionId: id, ip: client.ip });
  }

  async logoutAll(identity: Identity, client: ClientInfo, reply: FastifyReply): Promise<void> {
    const { sessions, families } = await this.signOut.everywhere(identity.userId, {
      caller: identity.sessionId,
    });
    if (identity.credential === 'session-cookie') {
      reply.clearCookie(this.cookie.name, this.cookie.clear());
      reply.clearCookie(this.cookie.boundName, this.cookie.clear());
    }
    this.audit.record('logout_all', {
      userId: identity.userId,
      sessions: sessions.length,
      families: families.length,
      ip: client.ip,
    });
  }
}
