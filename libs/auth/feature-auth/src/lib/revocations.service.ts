import { Inject, Injectable } from '@nestjs/common';
import type { Denylist } from '@svt/shared/data-access-sessions';
import { DENYLIST } from '@svt/shared/data-access-sessions';
import { failClosed } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import type { AuthConfig } from './auth.config';
import { AUTH_CONFIG } from './auth.tokens';

/** The gateway's identity tokens live at most this long (its IDENTITY_TOKEN_TTL cap). */
const IDENTITY_TOKEN_MAX_SECONDS = 60;
/** The verifiers' clock tolerance, plus a margin. */
const SKEW_SECONDS = 10;

/**
 * Makes the tokens of ended sessions and families unusable before their
 * `exp`: their `sid` goes on the denylist that every verifier checks, for as
 * long as any token naming it could still be valid.
 */
@Injectable()
export class RevocationsService {
  private readonly denyForMs: number;

  constructor(
    @Inject(DENYLIST) private readonly denylist: Denylist,
    @Inject(AUTH_CONFIG) config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.denyForMs =
      (Math.max(config.ACCESS_TOKEN_TTL, IDENTITY_TOKEN_MAX_SECONDS) + SKEW_SECONDS) * 1000;
  }

  async deny(sids: readonly string[]): Promise<void> {
    const until = this.clock.now() + this.denyForMs;
    await failClosed(
      Promise.all(sids.map((sid) => this.denylist.deny(sid, until))),
      'revocation list',
    );
  }
}
