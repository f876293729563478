import { Logger } from '@nestjs/common';
import type { Configuration } from 'openid-client';
import {
  allowInsecureRequests,
  AuthorizationResponseError,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  buildEndSessionUrl,
  calculatePKCECodeChallenge,
  customFetch,
  discovery,
  PrivateKeyJwt,
} from 'openid-client';
import { AppError } from '@svt/shared/util-errors';
import type { SigningKey } from '@svt/shared/util-security';
import type { SsoFlow } from './flow-cookie';
import { internalFetch } from './internal-fetch';

/** How the user authenticated at AUTH, as its ID token says (RFC 8176 `amr`, `auth_time`). */
export interface SsoAuthentication {
  readonly amr: readonly string[];
  /** Epoch milliseconds. */
  readonly authTime: number;
}

/** The answer AUTH gave a sign-in, as the callback needs it. */
export type SsoCallbackResult =
  | {
      readonly kind: 'signed-in';
      readonly userId: string;
      readonly ssoSid: string;
      /** The ID token's `amr` and `auth_time` (ms), when it carries both. */
      readonly authentication?: SsoAuthentication;
    }
  /** `prompt=none` found no session at AUTH (or one AUTH cannot use without the user). */
  | { readonly kind: 'signed-out' }
  /** `access_denied`: the user or AUTH refused. */
  | { readonly kind: 'denied' }
  | { readonly kind: 'failed'; readonly reason: string };

export interface SsoClientOptions {
  /** AUTH_ORIGIN: the issuer, and where the browser goes. */
  readonly issuer: string;
  /** AUTH_URL: where this back end reaches it. */
  readonly authUrl: string;
  readonly clientId: string;
  /** The registered `redirect_uri`, exactly. */
  readonly redirectUri: string;
  /** The registered `post_logout_redirect_uri`, exactly. */
  readonly postLogoutRedirectUri: string;
  readonly clientKey: SigningKey;
}

/** Errors AUTH answers `prompt=none` with when it would need the user (OpenID Connect Core §3.1.2.6). */
const NEEDS_THE_USER = new Set([
  'login_required',
  'interaction_required',
  'consent_required',
  'account_selection_required',
]);

/**
 * The relying party's OpenID Connect client (openid-client): the code flow
 * with PKCE S256, `state`, `nonce`, and the `iss` of the authorization
 * response (RFC 9207) all checked by openid-client; client authentication
 * by `private_key_jwt` (ES256) with the client's own key.
 *
 * Discovery is lazy: a service starts while AUTH is down, and the next
 * sign-in tries again. Every back-end call goes to AUTH_URL while the
 * issuer stays AUTH_ORIGIN (`internalFetch`).
 */
export class SsoClient {
  private readonly logger = new Logger(SsoClient.name);
  private configuration: Promise<Configuration> | undefined;

  constructor(private readonly options: SsoClientOptions) {}

  /** Where to send the browser to start `flow`. */
  async authorizationUrl(flow: SsoFlow): Promise<URL> {
    const config = await this.config();
    return buildAuthorizationUrl(config, {
      redirect_uri: this.options.redirectUri,
      response_type: 'code',
      scope: 'openid',
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
      ...(flow.promptNone ? { prompt: 'none' } : {}),
    });
  }

  /** Finishes `flow` with the callback's query (`?code&state&iss` or `?error&state&iss`). */
  async finish(query: string, flow: SsoFlow): Promise<SsoCallbackResult> {
    const config = await this.config();
    // The callback as registered, whatever Host the request came with: the
    // token request repeats it as `redirect_uri`.
    const callbackUrl = new URL(`${this.options.redirectUri}${query}`);
    try {
      const tokens = await authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims || typeof claims.sid !== 'string' || claims.sid.length === 0) {
        // Without AUTH's `sid` a back-channel logout could not find this session.
        return { kind: 'failed', reason: 'id_token_without_sid' };
      }
      const { amr, auth_time: authTime } = claims;
      const authentication =
        Array.isArray(amr) &&
        amr.length > 0 &&
        amr.every((method) => typeof method === 'string') &&
        typeof authTime === 'number' &&
        Number.isFinite(authTime)
          ? { amr: amr as string[], authTime: authTime * 1000 }
          : undefined;
      return {
        kind: 'signed-in',
        userId: claims.sub,
        ssoSid: claims.sid,
        ...(authentication ? { authentication } : {}),
      };
    } catch (error) {
      if (error instanceof AuthorizationResponseError) {
        if (flow.promptNone && NEEDS_THE_USER.has(error.error)) return { kind: 'signed-out' };
        if (error.error === 'access_denied') return { kind: 'denied' };
        return { kind: 'failed', reason: `authorization_error:${error.error}` };
      }
      this.logger.warn(`Single sign-on callback failed: ${(error as Error).message}`);
      const code = (error as { code?: unknown }).code;
      return { kind: 'failed', reason: typeof code === 'string' ? code : 'token_exchange' };
    }
  }

  /**
   * AUTH's end-session endpoint (RP-initiated logout) for this client, back to
   * `postLogoutRedirectUri`. We keep no ID token for `id_token_hint`, so AUTH
   * may ask the user to confirm. When AUTH cannot be reached, the local
   * sign-out still stands and the browser goes straight back.
   */
  async endSessionUrl(): Promise<string> {
    const back = this.options.postLogoutRedirectUri;
    try {
      const config = await this.config();
      return buildEndSessionUrl(config, {
        client_id: this.options.clientId,
        post_logout_redirect_uri: back,
      }).href;
    } catch {
      return back;
    }
  }

  /** AUTH's metadata, discovered once; a failure is forgotten so that the next call retries. */
  private config(): Promise<Configuration> {
    this.configuration ??= this.discover().catch((error: unknown) => {
      this.configuration = undefined;
      this.logger.warn(`OpenID Provider discovery failed: ${(error as Error).message}`);
      throw new AppError('upstream_unavailable', 'AUTH cannot be reached; try again shortly.', {
        cause: error,
      });
    });
    return this.configuration;
  }

  private async discover(): Promise<Configuration> {
    const { issuer, authUrl, clientId, clientKey } = this.options;
    const key = await crypto.subtle.importKey(
      'pkcs8',
      clientKey.privateKey.export({ format: 'der', type: 'pkcs8' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    return discovery(
      new URL(issuer),
      clientId,
      { id_token_signed_response_alg: 'ES256' },
      PrivateKeyJwt({ key, kid: clientKey.kid }),
      {
        [customFetch]: internalFetch(issuer, authUrl),
        // openid-client refuses plain http unless told; only the issuer's
        // URLs are what it checks (AUTH_URL is reached through customFetch).
        ...(new URL(issuer).protocol === 'http:' ? { execute: [allowInsecureRequests] } : {}),
      },
    );
  }
}
