import type { JsonWebKey } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type * as OidcProviderModule from 'oidc-provider';
import type { ClientMetadata, Configuration, KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { UserRepository } from '@svt/auth/data-access';
import { USER_REPOSITORY } from '@svt/auth/data-access';
import type { OidcStateStore } from '@svt/shared/data-access-sessions';
import { OIDC_STATE_STORE } from '@svt/shared/data-access-sessions';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { SigningKeysService } from '../keys/signing-keys.service';
import { ServerKeys } from '../shared/server-keys';
import { loadOidcProvider } from './load-oidc-provider';
import { oidcAdapterFor } from './oidc-adapter';
import { registeredClients } from './oidc-clients';
import { OIDC_PATHS } from './oidc-paths';
import { logoutPage, oidcErrorPage, signedOutPage } from './oidc-pages';

/** How often the provider checks for a change of signing keys (a rotation, a revocation). */
const KEY_CHECK_INTERVAL_MS = 5_000;

/** An authorization code lives 60 s at most (RFC 9700 §4.2.1 asks for a short life). */
const AUTHORIZATION_CODE_TTL = 60;

/**
 * AUTH as an OpenID Provider: `oidc-provider` (OpenID Certified) with this
 * service's signing keys, its users and the project's stores. Authorization
 * code flow with PKCE S256 only (OAuth 2.1, RFC 9700), the two relying
 * parties registered statically with `private_key_jwt`, RP-initiated logout
 * and Back-Channel Logout 1.0. The provider is rebuilt when the signing keys
 * change, as its key set is fixed at construction.
 */
@Injectable()
export class OpenIdProvider implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OpenIdProvider.name);
  private current: { provider: Provider; keys: string; handler: RequestHandler } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly issuer: URL;
  private oidc: typeof OidcProviderModule | null = null;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(OIDC_STATE_STORE) private readonly store: OidcStateStore,
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    private readonly signingKeys: SigningKeysService,
    private readonly serverKeys: ServerKeys,
  ) {
    this.issuer = new URL(config.AUTH_ORIGIN);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Its one warning is about Node 20, which it runs on (docs/single-sign-on.md): a notice, not a fault.
    this.oidc = await loadOidcProvider((message) => this.logger.log(message));
    this.refresh();
    this.timer = setInterval(() => {
      try {
        this.refresh();
      } catch (error) {
        // The provider of the last key set goes on serving; the next check retries.
        this.logger.warn(`OpenID Provider keys not refreshed: ${(error as Error).message}`);
      }
    }, KEY_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The provider of the current key set. */
  get provider(): Provider {
    if (!this.current) throw new TypeError('the OpenID Provider is not started yet');
    return this.current.provider;
  }

  /** Serves one of the provider's own routes (discovery, authorization, token, …) on the raw request. */
  handle(request: IncomingMessage, response: ServerResponse): void {
    if (!this.current) throw new TypeError('the OpenID Provider is not started yet');
    // The provider names its endpoints after the request's host. It speaks
    // as its issuer whichever name reached it (AUTH_URL from a relying
    // party's back end, AUTH_ORIGIN from a browser), and a Host header can
    // never steer the URLs it hands out.
    request.headers['x-forwarded-host'] = this.issuer.host;
    request.headers['x-forwarded-proto'] = this.issuer.protocol.slice(0, -1);
    this.current.handler(request, response);
  }

  private refresh(): void {
    const kids = this.signingOrder();
    const fingerprint = kids.join(',');
    if (this.current?.keys === fingerprint) return;
    if (!this.oidc) throw new TypeError('oidc-provider is not loaded yet');
    const keys = this.privateJwks(kids);
    const provider = new this.oidc.Provider(
      this.config.AUTH_ORIGIN,
      this.configuration(keys, this.oidc.errors),
    );
    // Reads the X-Forwarded-Host and -Proto that `handle` sets.
    provider.proxy = true;
    provider.on('server_error', (_ctx: unknown, error: Error) =>
      this.logger.error(`OpenID Provider error: ${error.message}`),
    );
    // Why a client or a grant was refused, which the response only names.
    for (const event of ['grant.error', 'authorization.error', 'end_session.error'] as const) {
      provider.on(event as 'grant.error', (_ctx: unknown, error: OidcError) =>
        this.logger.log(
          `OpenID ${event}: ${error.message}: ${error.error_description ?? ''} ${error.error_detail ?? ''}`,
        ),
      );
    }
    provider.on('backchannel.error', (_ctx: unknown, error: Error, client: { clientId: string }) =>
      this.logger.warn(`Back-channel logout to ${client.clientId} failed: ${error.message}`),
    );
    this.current = { provider, keys: fingerprint, handler: provider.callback() };
    this.logger.log(`OpenID Provider signs with ${kids[0]}`);
  }

  /** The kids of the published signing keys, the one that signs first. */
  private signingOrder(): string[] {
    const signing = this.signingKeys.current().kid;
    const published = this.signingKeys.jwks().keys.map((key) => key.kid);
    return [signing, ...published.filter((kid) => kid !== signing)];
  }

  /** The keys of `kids`, private halves included, for the provider to sign with and publish. */
  private privateJwks(kids: readonly string[]): JsonWebKeyWithKid[] {
    return kids.flatMap((kid) => {
      const key = this.signingKeys.privateKey(kid);
      return key
        ? [{ ...key.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } as JsonWebKeyWithKid]
        : [];
    });
  }

  private configuration(
    keys: JsonWebKeyWithKid[],
    errors: (typeof OidcProviderModule)['errors'],
  ): Configuration {
    const clients = registeredClients(this.config);
    // Secure where the issuer is https (a browser takes Secure cookies from
    // http://localhost too, but the provider refuses to send them over http).
    const secure = this.issuer.protocol === 'https:';
    return {
      adapter: oidcAdapterFor(
        this.store,
        () => new errors.InvalidGrant('authorization code already consumed'),
      ),
      clients,
      fetch: internalFetch(clients),
      jwks: { keys },
      cookies: {
        keys: [this.serverKeys.oidcCookieKey],
        long: { httpOnly: true, sameSite: 'lax', secure, signed: true },
        short: { httpOnly: true, sameSite: 'lax', secure, signed: true },
      },
      routes: OIDC_PATHS.routes,
      responseTypes: ['code'],
      pkce: { required: () => true },
      scopes: ['openid', 'email'],
      // `acr` and `amr` (RFC 8176) come with `openid`: every ID token says
      // how the user authenticated (a second factor or not).
      claims: { openid: ['sub', 'acr', 'amr'], email: ['email'] },
      clientAuthMethods: ['private_key_jwt'],
      enabledJWA: {
        idTokenSigningAlgValues: ['ES256'],
        clientAuthSigningAlgValues: ['ES256'],
        userinfoSigningAlgValues: ['ES256'],
      },
      features: {
        devInteractions: { enabled: false },
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
            this.html(ctx, logoutPage(form, this.formTargets()));
          },
          postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
            this.html(ctx, signedOutPage());
          },
        },
        userinfo: { enabled: true },
      },
      ttl: {
        AuthorizationCode: AUTHORIZATION_CODE_TTL,
        AccessToken: this.config.ACCESS_TOKEN_TTL,
        IdToken: this.config.ACCESS_TOKEN_TTL,
        Interaction: 600,
        Session: this.config.SSO_SESSION_TTL,
        Grant: this.config.SSO_SESSION_TTL,
      },
      issueRefreshToken: () => false,
      interactions: { url: (_ctx, interaction) => OIDC_PATHS.interaction(interaction.uid) },
      findAccount: async (_ctx, sub) => {
        const user = await this.users.findById(sub);
        if (!user) return undefined;
        // Claims beyond `sub` only when a scope asks (email at userinfo):
        // the ID token carries no personal data.
        return { accountId: user.id, claims: () => ({ sub: user.id, email: user.email }) };
      },
      // Both relying parties are first-party: the grant of `openid` (and
      // `email` when asked) is given without a consent screen.
      loadExistingGrant: async (ctx) => {
        const { client, session, params } = ctx.oidc;
        if (!client || !session?.accountId) return undefined;
        const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
        const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
        const grant =
          existing ??
          new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
        grant.addOIDCScope(String(params?.['scope'] ?? 'openid'));
        await grant.save();
        return grant;
      },
      renderError: (ctx, out) => {
        this.html(ctx, oidcErrorPage(out));
      },
    };
  }

  /** Where the pages' forms may lead: AUTH itself and the relying parties it redirects to. */
  private formTargets(): string[] {
    return [this.config.AUTH_ORIGIN, this.config.SHOP_ORIGIN, this.config.CART_ORIGIN];
  }

  private html(ctx: KoaContextWithOIDC, page: { body: string; csp: string }): void {
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', page.csp);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.body = page.body;
  }
}

/**
 * oidc-provider refuses to fetch from private and loopback addresses (SSRF
 * protection), which is where the relying parties' key sets and back-channel
 * endpoints are: the services' internal URLs. Exactly those registered URLs,
 * which come from this service's configuration and never from a request, are
 * fetched without it; everything else keeps it.
 */
function internalFetch(clients: readonly ClientMetadata[]): NonNullable<Configuration['fetch']> {
  const trusted = new Set(
    clients.flatMap((client) =>
      [client.jwks_uri, client['backchannel_logout_uri'] as string | undefined].filter(
        (uri): uri is string => uri !== undefined,
      ),
    ),
  );
  return (url, options) => {
    if (!trusted.has(String(url))) return fetch(url, options);
    const unprotected: RequestInit & { dispatcher?: unknown } = { ...options };
    delete unprotected.dispatcher;
    return fetch(url, unprotected);
  };
}

type OidcError = Error & { error_description?: string; error_detail?: string };
type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;
type JsonWebKeyWithKid = JsonWebKey & { kid: string };
