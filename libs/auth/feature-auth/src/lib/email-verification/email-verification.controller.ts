import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Identity } from '@svt/shared/feature-authn';
import { CurrentIdentity, Public, SameSiteRequestGuard } from '@svt/shared/feature-authn';
import {
  ApiAuthenticated,
  ApiProblems,
  AUTHENTICATED_PROBLEMS,
  COOKIE_CHANGE_PROBLEMS,
} from '@svt/shared/util-http';
import { LOGIN_PROBLEMS } from '../shared/api-docs';
import { PublicUserDto, VerifyEmailDto } from '../shared/auth.dto';
import type { PublicUser } from '../shared/public-user';
import { EmailVerificationService } from './email-verification.service';

/**
 * `POST /auth/email/verify` consumes the token of a verification link (the
 * page reads it from the link's fragment); `POST /auth/email/verification`
 * mails a new link to a signed-in owner.
 */
@ApiTags('email verification')
@Controller('auth/email')
export class EmailVerificationController {
  constructor(private readonly verification: EmailVerificationService) {}

  @Public()
  @UseGuards(SameSiteRequestGuard)
  @Post('verify')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Verify the e-mail address with the token of a mailed link',
    description: 'Single-use: a second attempt with the same token is refused.',
  })
  @ApiOkResponse({ type: PublicUserDto, description: 'The account, its address verified.' })
  @ApiProblems(...LOGIN_PROBLEMS, 'invalid_verification_token')
  verify(@Body() body: VerifyEmailDto): Promise<PublicUser> {
    return this.verification.verify(body.token);
  }

  @Post('verification')
  @HttpCode(202)
  @ApiAuthenticated()
  @ApiOperation({
    summary: 'Mail a new verification link',
    description:
      'Rate limited per account (`RATE_LIMIT_VERIFY_ACCOUNT`). An address that is verified already gets no mail; the answer is the same.',
  })
  @ApiAcceptedResponse({ description: 'A link is on its way, unless the address is verified.' })
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...COOKIE_CHANGE_PROBLEMS, 'rate_limited')
  async resend(@CurrentIdentity() identity: Identity): Promise<Record<string, never>> {
    await this.verification.resend(identity.userId);
    return {};
  }
}
