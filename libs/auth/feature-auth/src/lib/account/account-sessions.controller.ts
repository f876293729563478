import { Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Identity } from '@svt/shared/feature-authn';
import { CurrentIdentity } from '@svt/shared/feature-authn';
import {
  ApiAuthenticated,
  ApiProblems,
  AUTHENTICATED_PROBLEMS,
  COOKIE_CHANGE_PROBLEMS,
} from '@svt/shared/util-http';
import { SessionListingDto } from '../shared/auth.dto';
import { Client } from '../shared/request-context';
import type { ClientInfo } from '../shared/request-context';
import type { SessionListing } from './account-sessions.service';
import { RequireStepUp } from '../second-factor/step-up.guard';
import { AccountSessionsService } from './account-sessions.service';

/**
 * The user's own sessions and token families (OWASP ASVS 5.0 §7.5): list
 * them, end one, end all.
 */
@ApiTags('account')
@ApiAuthenticated()
@Controller('auth')
export class AccountSessionsController {
  constructor(private readonly accountSessions: AccountSessionsService) {}

  @Get('sessions')
  @RequireStepUp()
  @ApiOperation({
    summary: "The user's sessions and token families",
    description:
      'With two-factor authentication on, it needs a login with the second factor within `STEP_UP_MAX_AGE` (RFC 9470): otherwise `step_up_required`.',
  })
  @ApiOkResponse({ type: [SessionListingDto] })
  @ApiProblems(...AUTHENTICATED_PROBLEMS, 'step_up_required')
  list(@CurrentIdentity() identity: Identity): Promise<SessionListing[]> {
    return this.accountSessions.list(identity);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End one session or token family of the user' })
  @ApiNoContentResponse({ description: 'Ended.' })
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...COOKIE_CHANGE_PROBLEMS, 'not_found')
  revoke(
    @CurrentIdentity() identity: Identity,
    @Param('id') id: string,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    return this.accountSessions.revoke(identity, id, client, reply);
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session and refresh token of the user' })
  @ApiNoContentResponse({ description: 'All ended; a cookie caller also has its cookie cleared.' })
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...COOKIE_CHANGE_PROBLEMS)
  logoutAll(
    @CurrentIdentity() identity: Identity,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    return this.accountSessions.logoutAll(identity, client, reply);
  }
}
