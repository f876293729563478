import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '@svt/auth/data-access';
import type { Identity } from '@svt/shared/feature-authn';
import { CurrentIdentity, Public, SameSiteRequestGuard } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import {
  ApiProblems,
  AUTHENTICATED_PROBLEMS,
  COOKIE_CHANGE_PROBLEMS,
  SESSION_SCHEME,
} from '@svt/shared/util-http';
import {
  DBSC_REGISTRATION,
  LOGIN_PROBLEMS,
  LOGIN_SET_COOKIE,
  NO_STORE,
  SET_COOKIE,
} from '../shared/api-docs';
import { CredentialsDto, SecondFactorLoginDto, SessionResponseDto } from '../shared/auth.dto';
import { CredentialsService } from '../shared/credentials.service';
import { LoginGuard } from '../shared/login.guard';
import { iso, publicUser } from '../shared/public-user';
import { Client, LoggedInUser } from '../shared/request-context';
import type { SessionResponse } from './cookie-session.service';
import { CookieSessionService } from './cookie-session.service';
import { PendingLoginsService } from '../second-factor/pending-logins.service';
import type { ClientInfo } from '../shared/request-context';

function requireCookieSession(identity: Identity): void {
  if (identity.credential !== 'session-cookie') {
    throw new AppError(
      'unauthenticated',
      'This endpoint is about the cookie session; none was sent.',
    );
  }
}

/** Session login: the server keeps the state, the browser keeps a cookie naming it. */
@ApiTags('session')
@Controller('auth/session')
export class SessionController {
  constructor(
    private readonly cookieSessions: CookieSessionService,
    private readonly credentials: CredentialsService,
    private readonly pendingLogins: PendingLoginsService,
  ) {}

  @Public()
  @UseGuards(SameSiteRequestGuard, LoginGuard)
  @Post()
  @ApiOperation({
    summary: 'Log in with a cookie session',
    description:
      'A new session id every login (no fixation); a session the browser still had ends.',
  })
  @ApiBody({ type: CredentialsDto })
  @ApiCreatedResponse({
    type: SessionResponseDto,
    description: 'Logged in.',
    headers: { ...LOGIN_SET_COOKIE, ...DBSC_REGISTRATION, ...NO_STORE },
  })
  @ApiProblems(...LOGIN_PROBLEMS, 'invalid_credentials', 'second_factor_required')
  async login(
    @LoggedInUser() user: User,
    @Client() client: ClientInfo,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponse> {
    await this.pendingLogins.requireSecondFactor(user, 'session', null, client);
    return this.cookieSessions.login(user, client, request, reply);
  }

  @Public()
  @UseGuards(SameSiteRequestGuard)
  @Post('second-factor')
  @ApiOperation({
    summary: 'Finish a cookie session login with a second factor',
    description:
      'After `POST /auth/session` answered `second_factor_required`: its `pendingLogin` and a code. Answers what a login answers; the session records `amr: ["pwd", "otp"]`.',
  })
  @ApiBody({ type: SecondFactorLoginDto })
  @ApiCreatedResponse({
    type: SessionResponseDto,
    description: 'Logged in.',
    headers: { ...LOGIN_SET_COOKIE, ...DBSC_REGISTRATION, ...NO_STORE },
  })
  @ApiProblems(...LOGIN_PROBLEMS, 'invalid_otp', 'invalid_pending_login')
  async secondFactor(
    @Body() body: SecondFactorLoginDto,
    @Client() client: ClientInfo,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponse> {
    const { user, amr, authTime } = await this.pendingLogins.finish(
      body.pendingLogin,
      'session',
      body.code,
      null,
      client,
    );
    return this.cookieSessions.login(user, client, request, reply, { amr, authTime });
  }

  @Get()
  @ApiOperation({ summary: 'The current cookie session' })
  @ApiCookieAuth(SESSION_SCHEME)
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiProblems(...AUTHENTICATED_PROBLEMS)
  async current(@CurrentIdentity() identity: Identity): Promise<SessionResponse> {
    requireCookieSession(identity);
    const user = await this.credentials.authenticatedUser(identity.userId);
    return {
      user: publicUser(user),
      csrfToken: identity.csrfToken ?? '',
      expiresAt: iso(identity.absoluteExpiresAt ?? identity.expiresAt),
      idleExpiresAt: iso(identity.expiresAt),
      deviceBound: identity.deviceBound === true,
    };
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Log out: the server-side session ends at once' })
  @ApiCookieAuth(SESSION_SCHEME)
  @ApiNoContentResponse({
    description: 'Logged out; the cookie is cleared.',
    headers: SET_COOKIE,
  })
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...COOKIE_CHANGE_PROBLEMS)
  async logout(
    @CurrentIdentity() identity: Identity,
    @Client() client: ClientInfo,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    requireCookieSession(identity);
    await this.cookieSessions.logout(identity, client, request, reply);
  }
}
