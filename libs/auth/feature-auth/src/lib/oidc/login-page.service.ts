import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Interaction } from 'oidc-provider';
import { assuranceLevel } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import type { HtmlPage } from '@svt/shared/util-http';
import { safeEqual } from '@svt/shared/util-security';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { AuditLog } from '../shared/audit-log';
import { CredentialsService } from '../shared/credentials.service';
import { ServerKeys } from '../shared/server-keys';
import { ThrottleService } from '../shared/throttle.service';
import { OIDC_PATHS } from './oidc-paths';
import { expiredSignInPage, loginPage, secondFactorPage } from './oidc-pages';
import { PendingLoginsService } from '../second-factor/pending-logins.service';
import { OpenIdProvider } from './openid-provider';

/** The fields the login form posts; anything longer is refused before any hashing. */
export interface LoginForm {
  readonly csrf?: string;
  readonly email?: string;
  readonly password?: string;
  /** The second step: the pending login the first step made, and a code. */
  readonly pendingLogin?: string;
  readonly code?: string;
}

const INVALID_CREDENTIALS = 'The email or password is incorrect.';
const FIELD_MAX = 1024;

/**
 * AUTH's login page for an OpenID interaction. The same rules as the JSON
 * login: the client's address limited, one password check reserved for the
 * account before any argon2id hashing (back-off), one message for every
 * failure, an audit line per failure. Against login CSRF the form must come
 * from AUTH's own origin (`Origin`) and carry the interaction's token, an
 * HMAC of its uid; the interaction itself is bound to the browser by the
 * provider's cookie.
 */
@Injectable()
export class LoginPageService {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly openId: OpenIdProvider,
    private readonly credentials: CredentialsService,
    private readonly throttle: ThrottleService,
    private readonly keys: ServerKeys,
    private readonly audit: AuditLog,
    private readonly pendingLogins: PendingLoginsService,
  ) {}

  async show(request: FastifyRequest, reply: FastifyReply, uid: string): Promise<void> {
    const interaction = await this.interaction(request, reply, uid);
    if (!interaction) return;
    this.send(reply, 200, this.page(interaction));
  }

  async submit(
    request: FastifyRequest,
    reply: FastifyReply,
    uid: string,
    form: LoginForm,
  ): Promise<void> {
    const interaction = await this.interaction(request, reply, uid);
    if (!interaction) return;
    if (!this.sameOrigin(request) || !this.validToken(uid, form.csrf)) {
      this.audit.record('login.csrf_refused', { ip: request.ip ?? null });
      this.send(reply, 403, this.page(interaction, 'This form has expired. Sign in again.'));
      return;
    }
    if (typeof form.pendingLogin === 'string') {
      await this.submitSecondFactor(request, reply, interaction, form.pendingLogin, form.code);
      return;
    }
    const email = typeof form.email === 'string' ? form.email.slice(0, FIELD_MAX) : '';
    const password = typeof form.password === 'string' ? form.password : '';
    try {
      if (!email || !password || password.length > FIELD_MAX) {
        throw new AppError('invalid_credentials', INVALID_CREDENTIALS);
      }
      const user = await this.checkPassword(email, password, request.ip ?? null);
      // An account with a second factor: the password alone signs nobody in,
      // here no more than at the JSON routes, or single sign-on would skip it.
      const pending = await this.pendingLogins.begin(user, 'sso', null, {
        ip: request.ip ?? null,
        userAgent: request.headers['user-agent'] ?? null,
      });
      if (pending) {
        this.send(reply, 200, this.codePage(interaction, pending.handle));
        return;
      }
      this.audit.record('login.succeeded', {
        userId: user.id,
        method: 'sso',
        ip: request.ip ?? null,
      });
      await this.finishInteraction(request, reply, user.id, ['pwd']);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.retryAfterSeconds !== undefined) {
        reply.header('Retry-After', String(error.retryAfterSeconds));
      }
      const status =
        error.code === 'rate_limited' ? 429 : error.code === 'email_not_verified' ? 403 : 401;
      this.send(reply, status, this.page(interaction, error.detail, email));
    }
  }

  private async checkPassword(email: string, password: string, ip: string | null) {
    const user = await this.throttle.passwordLogin({ email, ip, device: null }, async () => {
      const found = await this.credentials.verify(email, password);
      if (!found) throw new AppError('invalid_credentials', INVALID_CREDENTIALS);
      return found;
    });
    this.credentials.assertMayLogIn(user);
    return user;
  }

  /** The second form posted: the pending login and a code. */
  private async submitSecondFactor(
    request: FastifyRequest,
    reply: FastifyReply,
    interaction: Interaction,
    pendingLogin: string,
    code: unknown,
  ): Promise<void> {
    const ip = request.ip ?? null;
    try {
      const finished = await this.pendingLogins.finish(
        pendingLogin.slice(0, FIELD_MAX),
        'sso',
        typeof code === 'string' ? code.slice(0, 64) : '',
        null,
        { ip, userAgent: request.headers['user-agent'] ?? null },
      );
      this.audit.record('login.succeeded', {
        userId: finished.user.id,
        method: 'sso',
        amr: finished.amr.join(' '),
        ip,
      });
      await this.finishInteraction(request, reply, finished.user.id, finished.amr);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === 'invalid_otp') {
        this.send(reply, 401, this.codePage(interaction, pendingLogin, error.detail));
        return;
      }
      if (error.retryAfterSeconds !== undefined) {
        reply.header('Retry-After', String(error.retryAfterSeconds));
      }
      const status = error.code === 'rate_limited' ? 429 : 401;
      this.send(reply, status, this.page(interaction, error.detail));
    }
  }

  /**
   * The browser is redirected on to the authorization endpoint, which
   * answers the relying party with a code; the ID token says how the user
   * authenticated (`amr`).
   */
  private async finishInteraction(
    request: FastifyRequest,
    reply: FastifyReply,
    accountId: string,
    amr: readonly string[],
  ): Promise<void> {
    reply.hijack();
    await this.openId.provider.interactionFinished(
      request.raw,
      reply.raw,
      { login: { accountId, amr: [...amr], acr: assuranceLevel(amr) } },
      { mergeWithLastSubmission: false },
    );
  }

  private codePage(interaction: Interaction, pendingLogin: string, error?: string): HtmlPage {
    return secondFactorPage({
      action: OIDC_PATHS.interaction(interaction.uid),
      csrfToken: this.keys.loginFormToken(interaction.uid),
      clientId: String(interaction.params['client_id'] ?? ''),
      pendingLogin,
      error,
      formTargets: [this.config.AUTH_ORIGIN, this.config.SHOP_ORIGIN, this.config.CART_ORIGIN],
    });
  }

  /** The interaction this browser started with uid `uid`, or null once an error page is sent. */
  private async interaction(
    request: FastifyRequest,
    reply: FastifyReply,
    uid: string,
  ): Promise<Interaction | null> {
    try {
      const interaction = await this.openId.provider.interactionDetails(request.raw, reply.raw);
      if (interaction.uid === uid && interaction.prompt.name === 'login') return interaction;
    } catch {
      // Unknown, expired, or started in another browser (no interaction cookie).
    }
    this.send(reply, 400, expiredSignInPage());
    return null;
  }

  private page(interaction: Interaction, error?: string, email?: string): HtmlPage {
    return loginPage({
      action: OIDC_PATHS.interaction(interaction.uid),
      csrfToken: this.keys.loginFormToken(interaction.uid),
      clientId: String(interaction.params['client_id'] ?? ''),
      email,
      error,
      formTargets: [this.config.AUTH_ORIGIN, this.config.SHOP_ORIGIN, this.config.CART_ORIGIN],
    });
  }

  private sameOrigin(request: FastifyRequest): boolean {
    return request.headers.origin === this.config.AUTH_ORIGIN;
  }

  private validToken(uid: string, token: unknown): boolean {
    return typeof token === 'string' && safeEqual(token, this.keys.loginFormToken(uid));
  }

  private send(reply: FastifyReply, status: number, page: HtmlPage): void {
    void reply
      .code(status)
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Content-Security-Policy', page.csp)
      .header('X-Frame-Options', 'DENY')
      .header('Cache-Control', 'no-store')
      .send(page.body);
  }
}
