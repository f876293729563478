import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Identity } from '@svt/shared/feature-authn';
import { assuranceLevel, CurrentIdentity } from '@svt/shared/feature-authn';
import { ApiAuthenticated, ApiProblems, AUTHENTICATED_PROBLEMS } from '@svt/shared/util-http';
import { MeResponseDto } from '../shared/auth.dto';
import { CredentialsService } from '../shared/credentials.service';
import type { PublicUser } from '../shared/public-user';
import { publicUser } from '../shared/public-user';

@ApiTags('account')
@ApiAuthenticated()
@Controller('auth/me')
export class MeController {
  constructor(private readonly credentials: CredentialsService) {}

  @Get()
  @ApiOperation({ summary: 'Who you are, and how you authenticated' })
  @ApiOkResponse({ type: MeResponseDto })
  @ApiProblems(...AUTHENTICATED_PROBLEMS)
  async me(
    @CurrentIdentity() identity: Identity,
  ): Promise<PublicUser & { method: string; amr: string[]; acr: string }> {
    const user = await this.credentials.authenticatedUser(identity.userId);
    const amr = [...(identity.amr ?? ['pwd'])];
    return { ...publicUser(user), method: identity.method, amr, acr: assuranceLevel(amr) };
  }
}
