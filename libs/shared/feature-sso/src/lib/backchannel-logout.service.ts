import { Inject, Injectable, Logger } from '@nestjs/common';
import { createRemoteJWKSet } from 'jose';
import type { ReplayCache } from '@svt/shared/data-access-sessions';
import { REPLAY_CACHE } from '@svt/shared/data-access-sessions';
import { failClosed } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import { LogoutReplayCache } from './logout-replay';
import { LogoutTokenVerifier } from './logout-token';
import type { LogoutTokenExpectations } from './logout-token';
import { SSO_OPTIONS } from './sso.options';
import type { SsoOptions } from './sso.options';
import { SsoSessionsService } from './sso-sessions.service';

/** AUTH posts a logout token the moment a session ends; anything older is refused. */
const MAX_AGE_SECONDS = 120;
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * OpenID Connect Back-Channel Logout 1.0 at the relying party: AUTH posts a
 * logout token when a session at AUTH ends; the sessions it started here
 * end too, and their handles are denied so that the gateway's identity
 * tokens for them die at CART at once.
 */
@Injectable()
export class BackchannelLogoutService {
  private readonly logger = new Logger(BackchannelLogoutService.name);
  private readonly verifier: LogoutTokenVerifier;
  private readonly replays: LogoutReplayCache;

  constructor(
    @Inject(SSO_OPTIONS) options: SsoOptions,
    @Inject(REPLAY_CACHE) replays: ReplayCache,
    @Inject(CLOCK) clock: Clock,
    private readonly sessions: SsoSessionsService,
  ) {
    const expectations: LogoutTokenExpectations = {
      issuer: options.authOrigin,
      audience: options.party.clientId,
      maxAgeSeconds: MAX_AGE_SECONDS,
      clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    };
    // AUTH's keys from its internal URL; jose refetches on an unknown kid (a rotation).
    const keys = createRemoteJWKSet(new URL(`${options.authUrl.replace(/\/+$/, '')}/oidc/jwks`));
    this.verifier = new LogoutTokenVerifier(keys, expectations, () => clock.now());
    // Remembered for as long as a token could be accepted at all.
    this.replays = new LogoutReplayCache(
      replays,
      (MAX_AGE_SECONDS + 2 * CLOCK_TOLERANCE_SECONDS) * 1000,
    );
  }

  /**
   * Acts on `token`; false when it is refused (the caller answers 400).
   * Throws `store_unavailable` when the sessions could not be ended, having
   * forgotten the `jti` so that AUTH's retry is not taken for a replay.
   */
  async logout(token: unknown): Promise<boolean> {
    const check = await this.verifier.verify(token);
    if (!check.ok) {
      this.logger.warn(`Logout token refused: ${check.reason}`);
      return false;
    }
    const { sub, sid, jti } = check.claims;
    if (!(await failClosed(this.replays.firstUse(jti), 'replay cache'))) {
      this.logger.warn('Logout token refused: replayed_jti');
      return false;
    }
    try {
      const ended = await this.sessions.endBySsoSid(sub, sid);
      this.logger.log(`Back-channel logout ended ${ended} session(s)`);
      return true;
    } catch (error) {
      await this.replays.forget(jti).catch(() => undefined);
      throw error;
    }
  }
}
