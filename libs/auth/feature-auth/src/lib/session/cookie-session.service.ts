import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '@svt/auth/data-access';
import { sessionEndsAt } from '@svt/shared/data-access-sessions';
import type { Identity, SessionCookie } from '@svt/shared/feature-authn';
import { SESSION_COOKIE } from '../auth.tokens';
import { AuditLog } from '../shared/audit-log';
import { DeviceCookies } from '../shared/device-cookie';
import { iso, publicUser } from '../shared/public-user';
import type { PublicUser } from '../shared/public-user';
import type { ClientInfo } from '../shared/request-context';
import type { Authentication } from '../token/tokens.service';
import { DeviceBindingService } from './device-binding/device-binding.service';
import { SessionsService } from './sessions.service';

/** What a cookie session login (or a password change in one) answers. */
export interface SessionResponse {
  readonly user: PublicUser;
  readonly csrfToken: string;
  /** The absolute timeout. */
  readonly expiresAt: string;
  /** When the session ends without activity (it slides with each request). */
  readonly idleExpiresAt: string;
  /** `GET /auth/session` only: bound to a device key, its bound cookie checked (DBSC). */
  readonly deviceBound?: boolean;
}

/**
 * The cookie session flows. They write the cookie on the reply themselves:
 * the cookie is the credential, set at the point of the flow where it exists.
 */
@Injectable()
export class CookieSessionService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly devices: DeviceCookies,
    private readonly audit: AuditLog,
    private readonly deviceBinding: DeviceBindingService,
    @Inject(SESSION_COOKIE) private readonly cookie: SessionCookie,
  ) {}

  /**
   * Starts a session and sets its cookie; a session id the browser still had
   * is ended. The session is offered a device binding (DBSC) on the answer.
   */
  async start(
    user: User,
    client: ClientInfo,
    reply: FastifyReply,
    previousSecret?: string,
    authentication?: Authentication,
  ): Promise<{ sessionId: string; body: SessionResponse }> {
    const offered = this.deviceBinding.offer();
    const { secret, session } = await this.sessions.start(
      user,
      client,
      previousSecret,
      offered,
      authentication,
    );
    this.deviceBinding.announce(offered, reply);
    reply.setCookie(
      this.cookie.name,
      secret,
      this.cookie.set(Math.floor((session.expiresAt - session.createdAt) / 1000)),
    );
    reply.header('cache-control', 'no-store');
    return {
      sessionId: session.handle,
      body: {
        user: publicUser(user),
        csrfToken: session.csrfToken,
        expiresAt: iso(session.expiresAt),
        idleExpiresAt: iso(sessionEndsAt(session)),
      },
    };
  }

  async login(
    user: User,
    client: ClientInfo,
    request: FastifyRequest,
    reply: FastifyReply,
    authentication?: Authentication,
  ): Promise<SessionResponse> {
    const response = await this.start(
      user,
      client,
      reply,
      request.cookies[this.cookie.name],
      authentication,
    );
    // A browser that logged in: its later attempts count on this device (OWASP device cookies).
    this.devices.remember(request, reply, user.email);
    this.audit.record('login.succeeded', {
      userId: user.id,
      sessionId: response.sessionId,
      method: 'session',
      amr: (authentication?.amr ?? ['pwd']).join(' '),
      ip: client.ip,
    });
    return response.body;
  }

  async logout(
    identity: Identity,
    client: ClientInfo,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const secret = request.cookies[this.cookie.name];
    if (secret) await this.sessions.end(secret);
    reply.clearCookie(this.cookie.name, this.cookie.clear());
    reply.clearCookie(this.cookie.boundName, this.cookie.clear());
    this.audit.record('logout', {
      userId: identity.userId,
      sessionId: identity.sessionId,
      method: 'session',
      ip: client.ip,
    });
  }
}
