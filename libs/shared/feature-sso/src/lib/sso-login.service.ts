import { Inject, Injectable } from '@nestjs/common';
import { randomNonce, randomPKCECodeVerifier, randomState } from 'openid-client';
import { AppError } from '@svt/shared/util-errors';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import { FlowCookie } from './flow-cookie';
import { safeReturnTo, withSsoMarker } from './return-to';
import { SsoClient } from './sso-client';
import type { SsoClientInfo } from './sso-sessions.service';
import { SsoSessionsService } from './sso-sessions.service';

/** Where a callback sends the browser, and the session cookie to set on the way, if any. */
export type SsoLanding =
  | {
      readonly kind: 'signed-in';
      readonly returnTo: string;
      readonly sessionSecret: string;
      readonly maxAgeSeconds: number;
    }
  | { readonly kind: 'signed-out'; readonly returnTo: string };

/** The marker `withSsoMarker` adds when a silent sign-in found nobody signed in at AUTH. */
export const SIGNED_OUT_MARKER = 'signed_out';

/**
 * A sign-in through AUTH, from the redirect to the local session: the flow
 * state travels in the sealed flow cookie, the answer is checked by
 * `SsoClient`, and the session is started by `SsoSessionsService`.
 */
@Injectable()
export class SsoLoginService {
  constructor(
    private readonly client: SsoClient,
    private readonly flows: FlowCookie,
    private readonly sessions: SsoSessionsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Starts a sign-in: where to send the browser, and the flow cookie's value. */
  async begin(request: {
    readonly returnTo: unknown;
    readonly promptNone: boolean;
  }): Promise<{ readonly redirectTo: string; readonly flowCookie: string }> {
    const flow = {
      state: randomState(),
      nonce: randomNonce(),
      codeVerifier: randomPKCECodeVerifier(),
      returnTo: safeReturnTo(request.returnTo),
      promptNone: request.promptNone,
    };
    const url = await this.client.authorizationUrl(flow);
    return { redirectTo: url.href, flowCookie: this.flows.seal(flow, this.clock.now()) };
  }

  /**
   * Finishes a sign-in with the callback's query and the flow cookie. After a
   * `prompt=none` that found nobody signed in at AUTH, the browser goes back
   * marked `?sso=signed_out`, and the page must not start another silent
   * sign-in from there (no loop). Refusals and failures throw `sso_denied`
   * and `sso_failed`.
   */
  async finish(
    query: string,
    flowCookie: string | undefined,
    client: SsoClientInfo,
    previousSessionSecret?: string,
  ): Promise<SsoLanding> {
    const flow = this.flows.open(flowCookie, this.clock.now());
    if (!flow) {
      throw new AppError(
        'sso_failed',
        'This sign-in was not started here or took too long; start it again.',
      );
    }
    const result = await this.client.finish(query, flow);
    switch (result.kind) {
      case 'signed-out':
        return { kind: 'signed-out', returnTo: withSsoMarker(flow.returnTo, SIGNED_OUT_MARKER) };
      case 'denied':
        throw new AppError('sso_denied', 'The sign-in at AUTH was refused.');
      case 'failed':
        throw new AppError('sso_failed', 'The sign-in at AUTH could not be completed.', {
          cause: new Error(result.reason),
        });
      case 'signed-in': {
        const { secret, session } = await this.sessions.start(
          result.userId,
          result.ssoSid,
          client,
          previousSessionSecret,
          result.authentication,
        );
        return {
          kind: 'signed-in',
          returnTo: flow.returnTo,
          sessionSecret: secret,
          maxAgeSeconds: Math.max(0, Math.floor((session.expiresAt - session.createdAt) / 1000)),
        };
      }
    }
  }
}
