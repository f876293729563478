import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import {
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@svt/shared/feature-authn';
import type { SsoOptions } from '@svt/shared/feature-sso';
import { SIGNED_OUT_MARKER, SSO_OPTIONS, SsoSessionsService } from '@svt/shared/feature-sso';
import type { HtmlPage } from '@svt/shared/util-http';
import type { CartConfig } from '../cart.config';
import { CART_CONFIG } from '../cart.tokens';
import type { CartPagePaths } from './cart-page';
import { CART_PAGE_SCRIPT_PATH, signedInPage, signedOutPage } from './cart-page';
import { CART_PAGE_SCRIPT } from './cart-page.script';

/**
 * The cart page at CART's own origin: a first-party page with its own
 * session, started by single sign-on with AUTH (a top-level redirect, never
 * a third-party cookie). Without a session it sends the browser to sign in,
 * unless it is back from a silent sign-in that found nobody (no loop).
 */
@ApiTags('page')
@Controller()
export class CartPageController {
  private readonly paths: CartPagePaths;

  constructor(
    private readonly sessions: SsoSessionsService,
    @Inject(SSO_OPTIONS) private readonly sso: SsoOptions,
    @Inject(CART_CONFIG) private readonly config: CartConfig,
  ) {
    this.paths = {
      signIn: `${sso.party.loginPath}?return_to=/`,
      signOut: sso.party.logoutPath,
    };
  }

  @Public()
  @Get()
  @ApiOperation({
    summary: 'The cart page',
    description:
      'With a CART session: who is signed in and the cart. Without one: a redirect to sign in with AUTH, or with `?sso=signed_out` a page with a sign-in link.',
  })
  @ApiQuery({ name: 'sso', required: false, enum: [SIGNED_OUT_MARKER] })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page.' })
  @ApiFoundResponse({ description: 'To sign in with AUTH.' })
  async page(
    @Req() request: FastifyRequest,
    @Query('sso') marker: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const secret = request.cookies[this.sso.sessionCookie.name];
    const session = secret ? await this.sessions.find(secret) : null;
    reply.header('cache-control', 'no-store');
    if (session) {
      this.send(reply, signedInPage(session, this.paths, this.config.AUTH_ORIGIN));
    } else if (marker === SIGNED_OUT_MARKER) {
      this.send(reply, signedOutPage(this.paths));
    } else {
      reply.redirect(this.paths.signIn, 302);
    }
  }

  @Public()
  @Get(CART_PAGE_SCRIPT_PATH.slice(1))
  @ApiOperation({ summary: "The cart page's script" })
  @ApiProduces('text/javascript')
  @ApiOkResponse({ description: 'Plain JavaScript.' })
  script(@Res() reply: FastifyReply): void {
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(CART_PAGE_SCRIPT);
  }

  private send(reply: FastifyReply, page: HtmlPage): void {
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', page.csp)
      // For browsers without CSP frame-ancestors: the page is never framed.
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(page.body);
  }
}
