import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {
  DeviceBinding,
  Expiring,
  ReplayCache,
  SessionRecord,
  SessionStore,
} from '@svt/shared/data-access-sessions';
import {
  afterProof,
  offeredBinding,
  REPLAY_CACHE,
  SESSION_STORE,
  withChallenge,
} from '@svt/shared/data-access-sessions';
import type { SessionCookie } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import { failClosed } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, randomSecret, sha256Hex } from '@svt/shared/util-security';
import type { AuthConfig } from '../../auth.config';
import { AUTH_CONFIG, SESSION_COOKIE } from '../../auth.tokens';
import { AuditLog } from '../../shared/audit-log';
import type { ClientInfo } from '../../shared/request-context';
import { SessionsService } from '../sessions.service';
import {
  CHALLENGE_HEADER,
  challengeHeader,
  REGISTRATION_HEADER,
  registrationHeader,
  RESPONSE_HEADER,
  SESSION_ID_HEADER,
  stringField,
} from './dbsc-headers';
import { checkRefreshProof, checkRegistrationProof } from './dbsc-proof';
import type { CheckedProof } from './dbsc-proof';
import { dbscRefreshes, dbscRegistrations } from './device-binding.metrics';

const STORE = 'session store';

/**
 * Where the browser registers, relative to the login answer's URL: from
 * `/auth/session` (or `/api/auth/session` through the gateway) it resolves
 * to `session/dbsc/registration` beside it, and the refresh URL, relative
 * to that, to `session/dbsc/refresh`.
 */
const REGISTRATION_PATH = 'session/dbsc/registration';
const REFRESH_PATH = 'refresh';

/**
 * The session configuration a registration answers (the draft's "JSON
 * session instructions"): the whole origin of the registration URL is in
 * scope, and the one credential is the bound cookie.
 */
export interface SessionInstructions {
  readonly session_identifier: string;
  readonly refresh_url: string;
  readonly scope: { readonly include_site: false; readonly scope_specification: [] };
  readonly credentials: readonly {
    readonly type: 'cookie';
    readonly name: string;
    readonly attributes: string;
  }[];
  readonly allowed_refresh_initiators: [];
}

/**
 * Device Bound Session Credentials (W3C DBSC draft) for the cookie session.
 * A session login offers a binding with a challenge; the browser answers at
 * the registration endpoint with its public key and the challenge signed by
 * the private one, which it cannot export. From then on the session needs,
 * beside its long-lived cookie, a bound cookie that lives DBSC_BOUND_COOKIE_TTL
 * and that only a new signed challenge renews (the refresh endpoint): a
 * copied cookie jar works until that cookie expires, then never again.
 *
 * Every challenge is single use, for the session it was handed to, and
 * lives DBSC_CHALLENGE_TTL; each good proof hands out the next one, which
 * the browser caches for its next refresh.
 */
@Injectable()
export class DeviceBindingService {
  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(REPLAY_CACHE) private readonly replays: ReplayCache,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SESSION_COOKIE) private readonly cookie: SessionCookie,
    private readonly sessions: SessionsService,
    private readonly audit: AuditLog,
  ) {}

  /** The binding a new session is offered with, or none when DBSC_ENABLED is false. */
  offer(): DeviceBinding | undefined {
    return this.config.DBSC_ENABLED ? offeredBinding(this.newChallenge()) : undefined;
  }

  /** Announces `binding` on the login answer, so a browser that supports DBSC registers. */
  announce(binding: DeviceBinding | undefined, reply: FastifyReply): void {
    const challenge = binding?.challenges.at(-1);
    if (challenge) {
      reply.header(REGISTRATION_HEADER, registrationHeader(REGISTRATION_PATH, challenge.value));
    }
  }

  /**
   * Binds the session the cookie names to the key that signed its offered
   * challenge; answers the session configuration and sets the first bound
   * cookie.
   */
  async register(
    request: FastifyRequest,
    reply: FastifyReply,
    client: ClientInfo,
  ): Promise<SessionInstructions> {
    this.assertEnabled();
    try {
      const session = await this.sessionOf(request);
      const checked = await checkRegistrationProof(this.proofOf(request, true) ?? '');
      if ('refused' in checked) throw invalidProof(checked.refused);
      const binding = session.deviceBinding;
      if (!binding || binding.key !== null) {
        throw invalidProof('This session was not offered a device binding, or has one already.');
      }
      if (!(await this.spend(binding, checked.jti))) {
        throw invalidProof('The challenge was not handed to this session, was used, or expired.');
      }
      if (!(await this.renew(session, binding, checked, reply))) {
        throw invalidProof('The session changed meanwhile; log in again.');
      }
      dbscRegistrations.inc({ result: 'registered' });
      this.audit.record('session.device_bound', {
        userId: session.userId,
        sessionId: session.handle,
        ip: client.ip,
      });
      return this.instructions(session.handle);
    } catch (error) {
      dbscRegistrations.inc({ result: 'refused' });
      throw error;
    }
  }

  /**
   * Renews the bound cookie for a proof by the session's key over a live
   * challenge. Without one, answers 403 with a challenge to sign. A proof
   * the key did not make means the cookies were copied elsewhere: the
   * session is ended.
   */
  async refresh(request: FastifyRequest, reply: FastifyReply, client: ClientInfo): Promise<void> {
    this.assertEnabled();
    let session: SessionRecord;
    try {
      session = await this.sessionOf(request);
    } catch (error) {
      dbscRefreshes.inc({ result: 'unknown_session' });
      reply.clearCookie(this.cookie.boundName, this.cookie.clear());
      throw error;
    }
    if (stringField(request.headers[SESSION_ID_HEADER]) !== session.handle) {
      throw new AppError('validation_failed', 'Sec-Secure-Session-Id must name this session.', {
        errors: [{ field: SESSION_ID_HEADER, message: "must be this session's identifier" }],
      });
    }
    const binding = session.deviceBinding;
    if (!binding?.key) {
      dbscRefreshes.inc({ result: 'unknown_session' });
      throw new AppError('session_not_bound', 'This session never registered a device key.');
    }
    const proof = this.proofOf(request, false);
    if (proof === undefined) return this.challenge(session, binding, reply);
    const checked = await checkRefreshProof(proof, binding.key);
    if ('refused' in checked)
      return this.endStolen(request, session, reply, client, checked.refused);
    // A proof over an older challenge may still arrive after a newer one was
    // handed out (the draft says so), or race another over the same one:
    // either way, ask for a proof over a live challenge.
    if (!(await this.spend(binding, checked.jti))) return this.challenge(session, binding, reply);
    if (!(await this.renew(session, binding, checked, reply))) {
      return this.challenge(session, binding, reply);
    }
    dbscRefreshes.inc({ result: 'refreshed' });
  }

  /**
   * After a good proof: the spent challenge gone, the next one handed out,
   * a new bound cookie set. False, with nothing set, when a concurrent
   * change to the binding won.
   */
  private async renew(
    session: SessionRecord,
    binding: DeviceBinding,
    proof: CheckedProof,
    reply: FastifyReply,
  ): Promise<boolean> {
    const next = this.newChallenge();
    const cookie = this.newBoundCookie();
    const renewed = afterProof(
      binding,
      { spent: proof.jti, next, cookie: cookie.stored, key: proof.key },
      this.clock.now(),
    );
    if (!(await this.save(session, renewed))) return false;
    reply.setCookie(
      this.cookie.boundName,
      cookie.value,
      this.cookie.set(this.config.DBSC_BOUND_COOKIE_TTL),
    );
    reply.header(CHALLENGE_HEADER, challengeHeader(next.value, session.handle));
    reply.header('cache-control', 'no-store');
    return true;
  }

  /** 403 with a new challenge for the browser to sign, kept with the session. */
  private async challenge(
    session: SessionRecord,
    binding: DeviceBinding,
    reply: FastifyReply,
  ): Promise<never> {
    const challenge = this.newChallenge();
    let current: DeviceBinding | undefined = binding;
    // A concurrent change (another refresh) may land first: build on it.
    for (let attempt = 0; attempt < 3 && current; attempt++) {
      if (await this.save(session, withChallenge(current, challenge, this.clock.now()))) {
        reply.header(CHALLENGE_HEADER, challengeHeader(challenge.value, session.handle));
        dbscRefreshes.inc({ result: 'challenged' });
        throw new AppError(
          'session_proof_required',
          "Sign the challenge in Secure-Session-Challenge with the session's key and send the proof in Secure-Session-Response.",
        );
      }
      const reread = await failClosed(this.store.find(session.idHash), STORE);
      current = reread?.deviceBinding;
    }
    dbscRefreshes.inc({ result: 'unknown_session' });
    throw new AppError('unauthenticated', 'The session has ended; log in again.');
  }

  /** A refresh proof by another key: the session ends, as a logout would end it. */
  private async endStolen(
    request: FastifyRequest,
    session: SessionRecord,
    reply: FastifyReply,
    client: ClientInfo,
    reason: string,
  ): Promise<never> {
    await this.sessions.end(request.cookies[this.cookie.name] ?? '');
    reply.clearCookie(this.cookie.name, this.cookie.clear());
    reply.clearCookie(this.cookie.boundName, this.cookie.clear());
    dbscRefreshes.inc({ result: 'refused' });
    this.audit.record('session.device_proof_refused', {
      userId: session.userId,
      sessionId: session.handle,
      ip: client.ip,
    });
    throw invalidProof(`${reason} The session has been ended.`);
  }

  /** With DBSC_ENABLED=false the endpoints are not there. */
  private assertEnabled(): void {
    if (!this.config.DBSC_ENABLED) throw new AppError('not_found');
  }

  /** The live session the cookie names; 401 without one. */
  private async sessionOf(request: FastifyRequest): Promise<SessionRecord> {
    const secret = request.cookies[this.cookie.name];
    const session = secret ? await failClosed(this.store.find(sha256Hex(secret)), STORE) : null;
    if (!session) throw new AppError('unauthenticated', 'The session has ended; log in again.');
    return session;
  }

  /** The proof sent in Secure-Session-Response; at registration its absence is a 400. */
  private proofOf(request: FastifyRequest, required: boolean): string | undefined {
    const proof = stringField(request.headers[RESPONSE_HEADER]);
    if (proof === undefined && required) {
      throw new AppError(
        'validation_failed',
        'Secure-Session-Response must carry the signed proof.',
        {
          errors: [{ field: RESPONSE_HEADER, message: 'must be a JWT' }],
        },
      );
    }
    return proof;
  }

  /**
   * Spends a challenge once for all replicas: the store's versions keep a
   * binding from going back, the replay cache keeps two racing proofs over
   * the same challenge from both passing.
   */
  private async spend(binding: DeviceBinding, challenge: string): Promise<boolean> {
    const now = this.clock.now();
    const live = binding.challenges.find((c) => c.value === challenge && c.expiresAt > now);
    return (
      live !== undefined &&
      failClosed(this.replays.firstUse(`dbsc-challenge:${challenge}`, live.expiresAt - now), STORE)
    );
  }

  private save(session: SessionRecord, binding: DeviceBinding): Promise<boolean> {
    return failClosed(this.store.saveDeviceBinding(session.idHash, binding), STORE);
  }

  /** A new bound cookie value, and what the binding keeps of it: its hash and expiry. */
  private newBoundCookie(): { value: string; stored: Expiring<string> } {
    const value = randomSecret();
    const expiresAt = this.clock.now() + this.config.DBSC_BOUND_COOKIE_TTL * 1000;
    return { value, stored: { value: sha256Hex(value), expiresAt } };
  }

  private newChallenge(): Expiring<string> {
    return {
      value: randomSecret(),
      expiresAt: this.clock.now() + this.config.DBSC_CHALLENGE_TTL * 1000,
    };
  }

  private instructions(sessionId: string): SessionInstructions {
    return {
      session_identifier: sessionId,
      refresh_url: REFRESH_PATH,
      scope: { include_site: false, scope_specification: [] },
      credentials: [
        { type: 'cookie', name: this.cookie.boundName, attributes: this.cookie.attributesText() },
      ],
      allowed_refresh_initiators: [],
    };
  }
}

function invalidProof(detail: string): AppError {
  return new AppError('invalid_session_proof', detail);
}
