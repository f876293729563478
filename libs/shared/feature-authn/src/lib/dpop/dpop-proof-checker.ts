import { Inject, Injectable, Optional } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ReplayCache } from '@svt/shared/data-access-sessions';
import { REPLAY_CACHE } from '@svt/shared/data-access-sessions';
import { AppError } from '@svt/shared/util-errors';
import { failClosed, peerIsOneOf } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import { timed } from '../authn.metrics';
import { CLOCK_TOLERANCE_SECONDS } from '../verification/jwt-verification';
import { DpopNonces } from './dpop-nonces';
import type { DpopOptions } from './dpop.options';
import { DPOP_OPTIONS } from './dpop.options';
import { checkProof, DPOP_PROOF_MAX_AGE_SECONDS } from './dpop-proof';

/**
 * How long a `jti` is remembered: as long as its proof could be accepted
 * (an `iat` up to the tolerance ahead, then the maximum age and the
 * tolerance again), and a little more.
 */
const REMEMBER_JTI_MS = (DPOP_PROOF_MAX_AGE_SECONDS + 3 * CLOCK_TOLERANCE_SECONDS) * 1000;

/** A valid proof: the thumbprint of the key it proves possession of. */
export interface ProvenKey {
  readonly jkt: string;
}

/** A refusal of a token request, not of a resource (see `AppErrorOptions.tokenRequest`). */
export type ProofUse = 'resource' | 'token-request';

/** At a resource: the access token the proof comes with, and the key it is bound to. */
export interface PresentedToken {
  readonly accessToken: string;
  /** The token's `cnf.jkt`. */
  readonly boundKey: string;
}

/**
 * The whole check of the `DPoP` header of a request: the proof itself
 * (`checkProof`), then the server nonce when this service requires one,
 * then single use of its `jti` across every replica and service (the shared
 * replay cache, last: only a proof that passed everything else is
 * remembered). Resolves to the key, or to the error to answer.
 */
@Injectable()
export class DpopProofChecker {
  private readonly nonces: DpopNonces | null;
  private readonly now: () => number;
  private readonly fromMountingProxy: (request: FastifyRequest) => boolean;
  /** `host` → origin, for the other public origins the service answers at. */
  private readonly aliases: ReadonlyMap<string, string>;

  constructor(
    @Inject(DPOP_OPTIONS) readonly options: DpopOptions,
    @Inject(REPLAY_CACHE) private readonly replays: ReplayCache,
    @Optional() @Inject(CLOCK) clock?: Clock,
  ) {
    this.now = clock ? () => clock.now() : Date.now;
    this.nonces = options.nonceSecret
      ? new DpopNonces(options.nonceSecret, options.origin, this.now)
      : null;
    const mount = options.mountedAt;
    const trusted = mount ? peerIsOneOf(mount.trustedProxies) : () => false;
    this.fromMountingProxy = (request) =>
      request.headers['x-forwarded-prefix'] === mount?.prefix && trusted(request.raw);
    this.aliases = new Map((options.alsoAt ?? []).map((origin) => [new URL(origin).host, origin]));
  }

  /** Whether requests must carry a proof (DPOP_REQUIRED). */
  get required(): boolean {
    return this.options.required;
  }

  async check(
    request: FastifyRequest,
    use: ProofUse,
    token?: PresentedToken,
  ): Promise<ProvenKey | AppError> {
    const tokenRequest = use === 'token-request';
    const refuse = (detail: string): AppError =>
      new AppError('invalid_dpop_proof', detail, { tokenRequest });
    const proof = request.headers.dpop;
    if (proof === undefined) return refuse('Send a DPoP proof in the DPoP header.');
    if (typeof proof !== 'string') return refuse('Send one DPoP header, not several.');
    const checked = await checkProof(proof, {
      htm: request.method,
      htu: this.targetUri(request),
      ...(token ? { accessToken: token.accessToken } : {}),
      now: this.now(),
    });
    if ('refused' in checked) return refuse(checked.refused);
    if (token && checked.jkt !== token.boundKey) {
      return refuse('The DPoP proof is signed by another key than the one the token is bound to.');
    }
    if (this.nonces && (checked.nonce === undefined || !this.nonces.isValid(checked.nonce))) {
      return new AppError(
        'use_dpop_nonce',
        'Make the DPoP proof again with the nonce in DPoP-Nonce.',
        {
          tokenRequest,
          dpopNonce: this.nonces.current(),
        },
      );
    }
    const first = await failClosed(
      timed(
        'replays',
        'firstUse',
        this.replays.firstUse(`dpop:${checked.jkt}:${checked.jti}`, REMEMBER_JTI_MS),
      ),
      'DPoP replay cache',
    );
    return first ? { jkt: checked.jkt } : refuse('This DPoP proof has been used before.');
  }

  /**
   * The URL the client sent this request to, which its proof must name: this
   * service's public origin (or the other one of its own that `Host` names)
   * and the path, or the mounting service's origin and prefix when a trusted
   * proxy (the gateway) forwarded it. A prefix from anyone else is ignored,
   * so a proof made for the gateway's URL never works at this service's own.
   */
  targetUri(request: FastifyRequest): string {
    const path = request.url.split('?', 1)[0] ?? '/';
    const mount = this.options.mountedAt;
    if (mount && this.fromMountingProxy(request)) return `${mount.origin}${mount.prefix}${path}`;
    const alias = this.aliases.get(request.headers.host ?? '');
    return `${alias ?? this.options.origin}${path}`;
  }
}
