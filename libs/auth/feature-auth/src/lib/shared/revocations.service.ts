import { Inject, Injectable } from '@nestjs/common';
import type { Denylist } from '@svt/shared/data-access-sessions';
import { DENYLIST } from '@svt/shared/data-access-sessions';
import { failClosed } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import { ACCESS_TOKEN_TTL_MAX } from '../auth.config';

/** The gateway's identity tokens live at most this long (its IDENTITY_TOKEN_TTL cap). */
const IDENTITY_TOKEN_MAX_SECONDS = 60;
/** The verifiers' clock tolerance, plus a margin. */
const SKEW_SECONDS = 10;

const DENY_FOR_MS =
  (Math.max(ACCESS_TOKEN_TTL_MAX, IDENTITY_TOKEN_MAX_SECONDS) + SKEW_SECONDS) * 1000;

/**
 * Makes the tokens of ended sessions and families unusable before their
 * `exp`: their `sid` goes on the denylist that every verifier checks, for as
 * long as any token naming it could still be valid. A denial is idempotent,
 * so callers deny first and end the session or family second: when the
 * denial fails, nothing has ended yet and a retry finds everything to end.
 */
@Injectable()
export class RevocationsService {
  constructor(
    @Inject(DENYLIST) private readonly denylist: Denylist,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Denies `sids` for as long as a token naming them, issued up to
   * `endedAt` (default now), could live: the longest ACCESS_TOKEN_TTL the
   * configuration allows, not the one set now, so that lowering the TTL in a
   * rollout cannot end a denial while tokens of the old TTL are still out.
   */
  async deny(sids: readonly string[], endedAt = this.clock.now()): Promise<void> {
    const until = endedAt + DENY_FOR_MS;
    if (sids.length === 0 || until <= this.clock.now()) return;
    await failClosed(
      Promise.all(sids.map((sid) => this.denylist.deny(sid, until))),
      'revocation list',
    );
  }
}
