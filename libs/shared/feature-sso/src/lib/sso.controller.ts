import type { Type } from '@nestjs/common';
import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { assertSameSiteRequest, JwksDto, Public } from '@svt/shared/feature-authn';
import type { RelyingParty } from '@svt/shared/util-config';
import { AppError } from '@svt/shared/util-errors';
import { ApiProblems } from '@svt/shared/util-http';
import type { SigningKey } from '@svt/shared/util-security';
import { safeEqual } from '@svt/shared/util-security';
import { BackchannelLogoutService } from './backchannel-logout.service';
import { FlowCookie } from './flow-cookie';
import { formFields } from './form-body';
import { SsoClient } from './sso-client';
import { SsoLoginService } from './sso-login.service';
import { SSO_CLIENT_KEY, SSO_OPTIONS } from './sso.options';
import type { SsoOptions } from './sso.options';
import { SsoSessionsService } from './sso-sessions.service';

/** The raw query string of a request, `?` included, or ''. */
function rawQuery(request: FastifyRequest): string {
  const index = request.url.indexOf('?');
  return index < 0 ? '' : request.url.slice(index);
}

/**
 * The routes of a relying party at the paths its `RELYING_PARTIES` entry
 * names. A factory because the gateway serves them under `/api/sso/` and
 * CART under `/sso/`; the class keeps one name, so operation ids stay
 * `Sso_login` and so on.
 */
export function ssoController(party: RelyingParty): Type<unknown> {
  @ApiTags('sso')
  @Controller()
  class SsoController {
    private readonly allowedOrigins: ReadonlySet<string>;

    constructor(
      private readonly login: SsoLoginService,
      private readonly sessions: SsoSessionsService,
      private readonly backchannel: BackchannelLogoutService,
      private readonly flows: FlowCookie,
      private readonly client: SsoClient,
      @Inject(SSO_CLIENT_KEY) private readonly key: SigningKey,
      @Inject(SSO_OPTIONS) private readonly options: SsoOptions,
    ) {
      this.allowedOrigins = new Set([options.origin]);
    }

    @Public()
    @Get(party.loginPath)
    @ApiOperation({
      summary: 'Sign in with AUTH',
      description:
        'Redirects to AUTH (authorization code with PKCE S256, `state`, `nonce`). `prompt=none` asks AUTH not to show anything: without a session there, the browser comes back to `return_to` with `?sso=signed_out`.',
    })
    @ApiQuery({ name: 'prompt', required: false, enum: ['none'] })
    @ApiQuery({ name: 'return_to', required: false, description: 'A path of this origin.' })
    @ApiFoundResponse({ description: "To AUTH's authorization endpoint." })
    @ApiProblems('upstream_unavailable')
    async signIn(
      @Query('prompt') prompt: unknown,
      @Query('return_to') returnTo: unknown,
      @Res() reply: FastifyReply,
    ): Promise<void> {
      const { redirectTo, flowCookie } = await this.login.begin({
        returnTo,
        promptNone: prompt === 'none',
      });
      reply
        .header('cache-control', 'no-store')
        .setCookie(this.flows.name, flowCookie, this.flows.set())
        .redirect(redirectTo, 302);
    }

    @Public()
    @Get(party.callbackPath)
    @ApiOperation({
      summary: 'Where AUTH sends the browser back',
      description:
        'Checks the answer (state, `iss`, PKCE, the ID token and its nonce), starts the local session (the session cookie) and redirects to where the sign-in started.',
    })
    @ApiFoundResponse({ description: 'To the page the sign-in started from.' })
    @ApiProblems('sso_failed', 'sso_denied', 'upstream_unavailable', 'store_unavailable')
    async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
      // A flow is used once, whatever the outcome.
      reply.header('cache-control', 'no-store').clearCookie(this.flows.name, this.flows.clear());
      const cookie = this.options.sessionCookie;
      const landing = await this.login.finish(
        rawQuery(request),
        request.cookies[this.flows.name],
        { userAgent: request.headers['user-agent'] ?? null, ip: request.ip ?? null },
        request.cookies[cookie.name] || undefined,
      );
      if (landing.kind === 'signed-in') {
        reply.setCookie(cookie.name, landing.sessionSecret, cookie.set(landing.maxAgeSeconds));
      }
      reply.redirect(landing.returnTo, 303);
    }

    @Public()
    @Post(party.backchannelLogoutPath)
    @HttpCode(200)
    @ApiExcludeEndpoint()
    async backchannelLogout(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
      reply.header('cache-control', 'no-store');
      const token = formFields(body).get('logout_token');
      if (await this.backchannel.logout(token)) {
        reply.code(200).send();
        return;
      }
      // Back-Channel Logout §2.8: 400, with an OAuth error body.
      reply.code(400).type('application/json').send({ error: 'invalid_request' });
    }

    @Public()
    @Post(party.logoutPath)
    @ApiOperation({
      summary: 'Sign out here and at AUTH',
      description:
        "A form post with the session's CSRF token in `csrf_token`: ends the local session, clears its cookie and sends the browser to AUTH's end-session endpoint, which comes back to this site's front page.",
    })
    @ApiFoundResponse({ description: "To AUTH's end-session endpoint." })
    @ApiProblems('forbidden_origin', 'csrf_failed', 'store_unavailable')
    async signOut(
      @Req() request: FastifyRequest,
      @Body() body: unknown,
      @Res() reply: FastifyReply,
    ): Promise<void> {
      assertSameSiteRequest(request, this.allowedOrigins);
      const cookie = this.options.sessionCookie;
      const secret = request.cookies[cookie.name];
      if (secret) {
        const session = await this.sessions.find(secret);
        const csrfToken = formFields(body).get('csrf_token') ?? '';
        if (session && !safeEqual(csrfToken, session.csrfToken)) {
          throw new AppError(
            'csrf_failed',
            'Send the session’s CSRF token in the csrf_token field.',
          );
        }
        if (session) await this.sessions.end(secret);
      }
      reply
        .header('cache-control', 'no-store')
        .clearCookie(cookie.name, cookie.clear())
        // A password login's session may have been device-bound (DBSC).
        .clearCookie(cookie.boundName, cookie.clear())
        .redirect(await this.client.endSessionUrl(), 303);
    }

    @Public()
    @Get(party.jwksPath)
    @ApiOperation({
      summary: "The client's public key",
      description:
        'AUTH verifies with it the `private_key_jwt` this relying party authenticates with.',
    })
    @ApiOkResponse({ type: JwksDto })
    jwks(@Res({ passthrough: true }) reply: FastifyReply): JwksDto {
      reply.header('cache-control', 'public, max-age=60');
      return { keys: [this.key.jwk] };
    }
  }

  return SsoController;
}
