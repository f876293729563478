import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Identity } from '@svt/shared/feature-authn';
import { CurrentIdentity } from '@svt/shared/feature-authn';
import {
  ApiAuthenticated,
  ApiProblems,
  AUTHENTICATED_PROBLEMS,
  COOKIE_CHANGE_PROBLEMS,
} from '@svt/shared/util-http';
import { OtpCodeDto, RecoveryCodesDto, TotpEnrolmentDto, TotpStatusDto } from '../shared/auth.dto';
import { CredentialsService } from '../shared/credentials.service';
import { Client } from '../shared/request-context';
import type { ClientInfo } from '../shared/request-context';
import type { TotpEnrolment, TotpStatus } from './second-factor.service';
import { SecondFactorService } from './second-factor.service';
import { TotpDisableService } from './totp-disable.service';

/** The caller's TOTP second factor (RFC 6238) and recovery codes. */
@ApiTags('second factor')
@ApiAuthenticated()
@Controller('auth/totp')
export class TotpController {
  constructor(
    private readonly factors: SecondFactorService,
    private readonly credentials: CredentialsService,
    private readonly disabling: TotpDisableService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Whether two-factor authentication is on' })
  @ApiOkResponse({ type: TotpStatusDto })
  @ApiProblems(...AUTHENTICATED_PROBLEMS)
  status(@CurrentIdentity() identity: Identity): Promise<TotpStatus> {
    return this.factors.status(identity.userId);
  }

  @Post()
  @ApiOperation({
    summary: 'Start a TOTP enrolment',
    description:
      'A new shared secret, shown this once (stored sealed); it replaces an enrolment still waiting for its first code. Nothing changes at login until `POST /auth/totp/confirm`.',
  })
  @ApiCreatedResponse({ type: TotpEnrolmentDto })
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...COOKIE_CHANGE_PROBLEMS, 'totp_already_enabled')
  async enrol(@CurrentIdentity() identity: Identity): Promise<TotpEnrolment> {
    const user = await this.credentials.authenticatedUser(identity.userId);
    return this.factors.enrol(user);
  }

  @Post('confirm')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Turn two-factor authentication on with a first code',
    description:
      'Answers ten recovery codes, shown this once. From now on a login with the password alone answers `second_factor_required`.',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(
    ...AUTHENTICATED_PROBLEMS,
    ...COOKIE_CHANGE_PROBLEMS,
    'validation_failed',
    'malformed_json',
    'invalid_otp',
    'totp_not_enabled',
    'totp_already_enabled',
  )
  async confirm(
    @CurrentIdentity() identity: Identity,
    @Body() body: OtpCodeDto,
  ): Promise<{ recoveryCodes: string[] }> {
    return { recoveryCodes: await this.factors.confirm(identity.userId, body.code) };
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Turn two-factor authentication off',
    description:
      'Needs a current code (or a recovery code). Every other session and token family of the user ends; the caller stays signed in.',
  })
  @ApiNoContentResponse({ description: 'Off; the recovery codes are gone too.' })
  @ApiProblems(
    ...AUTHENTICATED_PROBLEMS,
    ...COOKIE_CHANGE_PROBLEMS,
    'validation_failed',
    'malformed_json',
    'invalid_otp',
    'totp_not_enabled',
    'rate_limited',
  )
  async disable(
    @CurrentIdentity() identity: Identity,
    @Body() body: OtpCodeDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.disabling.disable(identity, body.code, client);
  }
}
