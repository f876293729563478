import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '@svt/auth/data-access';
import type { Identity } from '@svt/shared/feature-authn';
import { CurrentIdentity, Public } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-http';
import { CredentialsDto, RefreshTokenDto } from './auth.dto';
import { CredentialsService } from './credentials.service';
import { LoginGuard } from './login.guard';
import { Client, LoggedInUser } from './request-context';
import { SESSION_COOKIE } from './auth.tokens';
import type { SessionCookie } from './session-cookie';
import type { ClientInfo } from './sessions.service';
import { SessionsService } from './sessions.service';
import type { TokenResponse } from './tokens.service';
import { TokensService } from './tokens.service';
import { SigningKeysService } from './signing-keys.service';

const publicUser = (user: Pick<User, 'id' | 'email'>): { id: string; email: string } => ({
  id: user.id,
  email: user.email,
});

@Controller('auth')
export class RegistrationController {
  constructor(private readonly credentials: CredentialsService) {}

  @Public()
  @Post('register')
  async register(@Body() body: CredentialsDto): Promise<{ id: string; email: string }> {
    return publicUser(await this.credentials.register(body.email, body.password));
  }
}

/** Session login: the server keeps the state, the browser keeps a cookie naming it. */
@Controller('auth/session')
export class SessionController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly credentials: CredentialsService,
    @Inject(SESSION_COOKIE) private readonly cookie: SessionCookie,
  ) {}

  @Public()
  @UseGuards(LoginGuard)
  @Post()
  async login(
    @LoggedInUser() user: User,
    @Client() client: ClientInfo,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ user: { id: string; email: string }; csrfToken: string; expiresAt: string }> {
    const previous = request.cookies[this.cookie.name];
    const { secret, session } = await this.sessions.start(user.id, client, previous);
    reply.setCookie(
      this.cookie.name,
      secret,
      this.cookie.set(Math.floor((session.expiresAt - session.createdAt) / 1000)),
    );
    reply.header('cache-control', 'no-store');
    return {
      user: publicUser(user),
      csrfToken: session.csrfToken,
      expiresAt: new Date(session.expiresAt).toISOString(),
    };
  }

  @Get()
  async current(
    @CurrentIdentity() identity: Identity,
  ): Promise<{ user: { id: string; email: string }; csrfToken: string; expiresAt: string }> {
    const user = await this.cookieSessionUser(identity);
    return {
      user: publicUser(user),
      csrfToken: identity.csrfToken ?? '',
      expiresAt: new Date(identity.expiresAt).toISOString(),
    };
  }

  @Delete()
  @HttpCode(204)
  async logout(
    @CurrentIdentity() identity: Identity,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    requireCookieSession(identity);
    const secret = request.cookies[this.cookie.name];
    if (secret) await this.sessions.end(secret);
    reply.clearCookie(this.cookie.name, this.cookie.clear());
  }

  private async cookieSessionUser(identity: Identity): Promise<User> {
    requireCookieSession(identity);
    return this.credentials.authenticatedUser(identity.userId);
  }
}

function requireCookieSession(identity: Identity): void {
  if (identity.credential !== 'session-cookie') {
    throw new AppError(
      'unauthenticated',
      'This endpoint is about the cookie session; none was sent.',
      {
        headers: { 'www-authenticate': 'Bearer realm="svt"' },
      },
    );
  }
}

/** Token login: the client keeps the state in a signed access token and a refresh token. */
@Controller('auth/token')
export class TokenController {
  constructor(private readonly tokens: TokensService) {}

  @Public()
  @UseGuards(LoginGuard)
  @Post()
  login(
    @LoggedInUser() user: User,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    reply.header('cache-control', 'no-store');
    return this.tokens.login(user.id, client);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(
    @Body() body: RefreshTokenDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    reply.header('cache-control', 'no-store');
    return this.tokens.refresh(body.refresh_token);
  }

  @Public()
  @Post('revoke')
  @HttpCode(204)
  async revoke(@Body() body: RefreshTokenDto): Promise<void> {
    await this.tokens.revoke(body.refresh_token);
  }
}

@Controller('auth/me')
export class MeController {
  constructor(private readonly credentials: CredentialsService) {}

  @Get()
  async me(
    @CurrentIdentity() identity: Identity,
  ): Promise<{ id: string; email: string; method: string }> {
    const user = await this.credentials.authenticatedUser(identity.userId);
    return { ...publicUser(user), method: identity.method };
  }
}

@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Public()
  @Get('jwks.json')
  jwks(@Res({ passthrough: true }) reply: FastifyReply): ReturnType<SigningKeysService['jwks']> {
    reply.header('cache-control', 'public, max-age=60');
    return this.keys.jwks();
  }
}
