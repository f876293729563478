import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public, SameSiteRequestGuard } from '@svt/shared/feature-authn';
import { ApiProblems } from '@svt/shared/util-http';
import { LOGIN_PROBLEMS } from '../shared/api-docs';
import { CredentialsDto, PublicUserDto } from '../shared/auth.dto';
import type { PublicUser } from '../shared/public-user';
import { publicUser } from '../shared/public-user';
import { Client } from '../shared/request-context';
import type { ClientInfo } from '../shared/request-context';
import { RegistrationService } from './registration.service';

@ApiTags('registration')
@Controller('auth')
export class RegistrationController {
  constructor(private readonly registration: RegistrationService) {}

  @Public()
  @UseGuards(SameSiteRequestGuard)
  @Post('register')
  @ApiOperation({ summary: 'Create an account' })
  @ApiCreatedResponse({ type: PublicUserDto, description: 'The account.' })
  @ApiProblems(...LOGIN_PROBLEMS, 'email_taken')
  async register(@Body() body: CredentialsDto, @Client() client: ClientInfo): Promise<PublicUser> {
    const user = await this.registration.register(body.email, body.password, client);
    return publicUser(user);
  }
}
