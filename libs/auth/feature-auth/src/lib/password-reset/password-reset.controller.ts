import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public, SameSiteRequestGuard } from '@svt/shared/feature-authn';
import { ApiProblems } from '@svt/shared/util-http';
import { LOGIN_PROBLEMS } from '../shared/api-docs';
import { ForgotPasswordDto, ForgotPasswordResponseDto, ResetPasswordDto } from '../shared/auth.dto';
import { Client } from '../shared/request-context';
import type { ClientInfo } from '../shared/request-context';
import type { FORGOT_ANSWER } from './password-reset.service';
import { PasswordResetService } from './password-reset.service';

/** The forgotten-password flow: ask for a link by mail, then set a new password with it. */
@ApiTags('password reset')
@Controller('auth/password')
export class PasswordResetController {
  constructor(private readonly passwordReset: PasswordResetService) {}

  @Public()
  @UseGuards(SameSiteRequestGuard)
  @Post('forgot')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Mail a password reset link',
    description:
      'The same answer, in the same time, whether an account uses the address or not: it is sent before the address is looked up. Rate limited per client address (`RATE_LIMIT_FORGOT_IP`) and per address asked about (`RATE_LIMIT_FORGOT_EMAIL`).',
  })
  @ApiAcceptedResponse({ type: ForgotPasswordResponseDto })
  @ApiProblems(...LOGIN_PROBLEMS)
  forgot(
    @Body() body: ForgotPasswordDto,
    @Client() client: ClientInfo,
  ): Promise<typeof FORGOT_ANSWER> {
    return this.passwordReset.forgot(body.email, client);
  }

  @Public()
  @UseGuards(SameSiteRequestGuard)
  @Post('reset')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Set a new password with the token of a reset link',
    description:
      'Single-use, and void once the password changed after the link was sent. Every session, token family and single sign-on session of the account ends; the address counts as verified. Rate limited per client address (`RATE_LIMIT_RESET_IP`) and per account (`RATE_LIMIT_RESET_ACCOUNT`).',
  })
  @ApiNoContentResponse({ description: 'The password was changed; log in with it.' })
  @ApiProblems(...LOGIN_PROBLEMS, 'invalid_reset_token')
  async reset(@Body() body: ResetPasswordDto, @Client() client: ClientInfo): Promise<void> {
    await this.passwordReset.reset(body.token, body.newPassword, client);
  }
}
