import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { User } from '@svt/auth/data-access';
import { Public, SameSiteRequestGuard } from '@svt/shared/feature-authn';
import {
  ApiProblems,
  ApiTokenRequestProblems,
  TOKEN_REQUEST_DPOP_PROBLEMS,
} from '@svt/shared/util-http';
import { DPOP_PROOF_HEADER, LOGIN_PROBLEMS, NO_STORE } from '../shared/api-docs';
import {
  CredentialsDto,
  RefreshTokenDto,
  SecondFactorLoginDto,
  TokenResponseDto,
} from '../shared/auth.dto';
import { PendingLoginsService } from '../second-factor/pending-logins.service';
import { LoginGuard } from '../shared/login.guard';
import { Client, LoggedInUser } from '../shared/request-context';
import type { ClientInfo } from '../shared/request-context';
import { TokenLoginService } from './token-login.service';
import { DpopKey, TokenRequestProofGuard } from './token-proof.guard';
import type { TokenResponse } from './tokens.service';
import { TokensService } from './tokens.service';

/** Token login: the client keeps the state in a signed access token and a refresh token. */
@ApiTags('token')
@Controller('auth/token')
export class TokenController {
  constructor(
    private readonly tokens: TokensService,
    private readonly tokenLogin: TokenLoginService,
    private readonly pendingLogins: PendingLoginsService,
  ) {}

  @Public()
  @UseGuards(SameSiteRequestGuard, TokenRequestProofGuard, LoginGuard)
  @Post()
  @ApiOperation({ summary: 'Log in for an access token and a refresh token' })
  @ApiBody({ type: CredentialsDto })
  @ApiHeader(DPOP_PROOF_HEADER)
  @ApiCreatedResponse({ type: TokenResponseDto, description: 'Logged in.', headers: NO_STORE })
  @ApiTokenRequestProblems(
    ...LOGIN_PROBLEMS,
    ...TOKEN_REQUEST_DPOP_PROBLEMS,
    'invalid_credentials',
    'second_factor_required',
  )
  async login(
    @LoggedInUser() user: User,
    @Client() client: ClientInfo,
    @DpopKey() dpopKey: string | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    reply.header('cache-control', 'no-store');
    await this.pendingLogins.requireSecondFactor(user, 'token', dpopKey, client);
    return this.tokenLogin.login(user, client, dpopKey);
  }

  @Public()
  @UseGuards(SameSiteRequestGuard, TokenRequestProofGuard)
  @Post('second-factor')
  @ApiOperation({
    summary: 'Finish a token login with a second factor',
    description:
      'After `POST /auth/token` answered `second_factor_required`: its `pendingLogin` and a code. Answers what a token login answers; a first step with a DPoP proof needs a proof by the same key here. The access tokens carry `amr: ["pwd", "otp"]` and `acr: "aal2"`.',
  })
  @ApiBody({ type: SecondFactorLoginDto })
  @ApiHeader(DPOP_PROOF_HEADER)
  @ApiCreatedResponse({ type: TokenResponseDto, description: 'Logged in.', headers: NO_STORE })
  @ApiTokenRequestProblems(
    ...LOGIN_PROBLEMS,
    ...TOKEN_REQUEST_DPOP_PROBLEMS,
    'invalid_otp',
    'invalid_pending_login',
  )
  async secondFactor(
    @Body() body: SecondFactorLoginDto,
    @Client() client: ClientInfo,
    @DpopKey() dpopKey: string | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    reply.header('cache-control', 'no-store');
    const { user, amr, authTime } = await this.pendingLogins.finish(
      body.pendingLogin,
      'token',
      body.code,
      dpopKey,
      client,
    );
    return this.tokenLogin.login(user, client, dpopKey, { amr, authTime });
  }

  @Public()
  @UseGuards(SameSiteRequestGuard, TokenRequestProofGuard)
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate the refresh token',
    description:
      'The old refresh token is spent; presenting a spent one ends its whole family. A refresh token bound to a DPoP key needs a proof by that key; one by another key is refused without spending it.',
  })
  @ApiHeader(DPOP_PROOF_HEADER)
  @ApiOkResponse({ type: TokenResponseDto, headers: NO_STORE })
  @ApiTokenRequestProblems(
    ...LOGIN_PROBLEMS,
    ...TOKEN_REQUEST_DPOP_PROBLEMS,
    'invalid_refresh_token',
  )
  refresh(
    @Body() body: RefreshTokenDto,
    @Client() client: ClientInfo,
    @DpopKey() dpopKey: string | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    reply.header('cache-control', 'no-store');
    return this.tokens.refresh(body.refresh_token, client, dpopKey);
  }

  @Public()
  @Post('revoke')
  @HttpCode(204)
  @ApiOperation({
    summary: "End a refresh token's session",
    description: 'RFC 7009 spirit: 204 for unknown tokens too.',
  })
  @ApiNoContentResponse({ description: 'Revoked (or never known).' })
  @ApiProblems('validation_failed', 'malformed_json', 'store_unavailable')
  async revoke(@Body() body: RefreshTokenDto, @Client() client: ClientInfo): Promise<void> {
    await this.tokens.revoke(body.refresh_token, client);
  }
}
