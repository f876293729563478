import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Identity } from '@svt/shared/feature-authn';
import { CurrentIdentity } from '@svt/shared/feature-authn';
import {
  ApiAuthenticated,
  ApiProblems,
  AUTHENTICATED_PROBLEMS,
  COOKIE_CHANGE_PROBLEMS,
} from '@svt/shared/util-http';
import { NO_STORE } from '../shared/api-docs';
import { ChangePasswordDto, SessionResponseDto, TokenResponseDto } from '../shared/auth.dto';
import { Client } from '../shared/request-context';
import type { SessionResponse } from '../session/cookie-session.service';
import type { ClientInfo } from '../shared/request-context';
import type { TokenResponse } from '../token/tokens.service';
import { RequireStepUp } from '../second-factor/step-up.guard';
import { PasswordChangeService } from './password-change.service';

/**
 * `POST /auth/password`: a privilege change. Every session and token family
 * of the user ends, the caller's included, and the caller gets a new
 * credential of the kind it used: a new session cookie, or a new token pair.
 */
@ApiTags('account')
@ApiAuthenticated()
@ApiExtraModels(SessionResponseDto, TokenResponseDto)
@Controller('auth/password')
export class PasswordController {
  constructor(private readonly passwordChange: PasswordChangeService) {}

  @Post()
  @HttpCode(200)
  @RequireStepUp()
  @ApiOperation({
    summary: 'Change the password',
    description:
      'Every session and token family of the user ends; the caller gets a new credential of the kind it used. With two-factor authentication on, it needs a login with the second factor within `STEP_UP_MAX_AGE` (RFC 9470): otherwise `step_up_required`.',
  })
  @ApiOkResponse({
    description: 'A new cookie session (cookie callers) or a new token pair (Bearer callers).',
    headers: NO_STORE,
    schema: {
      oneOf: [
        { $ref: getSchemaPath(SessionResponseDto) },
        { $ref: getSchemaPath(TokenResponseDto) },
      ],
    },
  })
  @ApiProblems(
    ...AUTHENTICATED_PROBLEMS,
    ...COOKIE_CHANGE_PROBLEMS,
    'validation_failed',
    'malformed_json',
    'wrong_password',
    'rate_limited',
    'step_up_required',
  )
  change(
    @CurrentIdentity() identity: Identity,
    @Body() body: ChangePasswordDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponse | TokenResponse> {
    return this.passwordChange.change(identity, body, client, reply);
  }
}
