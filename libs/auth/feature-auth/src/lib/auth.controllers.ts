import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBody,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { HeadersObject } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '@svt/auth/data-access';
import { sessionEndsAt } from '@svt/shared/data-access-sessions';
import type { Identity } from '@svt/shared/feature-authn';
import { CurrentIdentity, JwksDto, Public, SameSiteRequestGuard } from '@svt/shared/feature-authn';
import {
  ApiAuthenticated,
  ApiProblems,
  AppError,
  AUTHENTICATED_PROBLEMS,
  COOKIE_CHANGE_PROBLEMS,
  SESSION_SCHEME,
} from '@svt/shared/util-http';
import { AuditLog } from './shared/audit-log';
import {
  ChangePasswordDto,
  CredentialsDto,
  MeResponseDto,
  PublicUserDto,
  RefreshTokenDto,
  SessionListingDto,
  SessionResponseDto,
  TokenResponseDto,
} from './shared/auth.dto';
import { SESSION_COOKIE } from './auth.tokens';
import { CredentialsService } from './shared/credentials.service';
import { DeviceCookies } from './shared/device-cookie';
import { LoginGuard } from './shared/login.guard';
import { Client, LoggedInUser } from './shared/request-context';
import type { SessionCookie } from './session/session-cookie';
import type { ClientInfo } from './session/sessions.service';
import { SessionsService } from './session/sessions.service';
import type { SignedOut } from './account/sign-out.service';
import { SignOutService } from './account/sign-out.service';
import { SigningKeysService } from './keys/signing-keys.service';
import { ThrottleService } from './shared/throttle.service';
import type { TokenResponse } from './token/tokens.service';
import { TokensService } from './token/tokens.service';

interface PublicUser {
  readonly id: string;
  readonly email: string;
}

/** What a cookie session login (or a password change in one) answers. */
interface SessionResponse {
  readonly user: PublicUser;
  readonly csrfToken: string;
  /** The absolute timeout. */
  readonly expiresAt: string;
  /** When the session ends without activity (it slides with each request). */
  readonly idleExpiresAt: string;
}

/** One row of `GET /auth/sessions`: a cookie session or a token family. */
interface SessionListing {
  readonly id: string;
  readonly method: 'session' | 'bearer';
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly current: boolean;
}

const publicUser = (user: Pick<User, 'id' | 'email'>): PublicUser => ({
  id: user.id,
  email: user.email,
});

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

const SET_COOKIE: HeadersObject = {
  'Set-Cookie': {
    description: 'The session cookie: `__Host-sid=…; Path=/; HttpOnly; Secure; SameSite=Lax`.',
    schema: { type: 'string' },
  },
};

const LOGIN_SET_COOKIE: HeadersObject = {
  'Set-Cookie': {
    description:
      'The session cookie, `__Host-sid=…; Path=/; HttpOnly; Secure; SameSite=Lax`, and the device cookie (OWASP device cookies: later login attempts from this browser count on the device), `__Secure-device=…; Path=/auth; HttpOnly; Secure; SameSite=Strict` (`Path=/api/auth` through the gateway).',
    schema: { type: 'string' },
  },
};

const NO_STORE: HeadersObject = {
  'Cache-Control': {
    description: 'Credentials are never cached.',
    schema: { type: 'string', enum: ['no-store'] },
  },
};

/** Login CSRF: a browser may register, log in or refresh only from an allowed origin. */
const LOGIN_PROBLEMS = [
  'validation_failed',
  'malformed_json',
  'forbidden_origin',
  'rate_limited',
  'store_unavailable',
] as const;

function requireCookieSession(identity: Identity): void {
  if (identity.credential !== 'session-cookie') {
    throw new AppError(
      'unauthenticated',
      'This endpoint is about the cookie session; none was sent.',
      { headers: { 'www-authenticate': 'Bearer realm="svt"' } },
    );
  }
}

/** Starts a session and sets its cookie; a session id the browser still had is ended. */
async function startCookieSession(
  sessions: SessionsService,
  cookie: SessionCookie,
  user: User,
  client: ClientInfo,
  reply: FastifyReply,
  previousSecret?: string,
): Promise<{ sessionId: string; body: SessionResponse }> {
  const { secret, session } = await sessions.start(user, client, previousSecret);
  reply.setCookie(
    cookie.name,
    secret,
    cookie.set(Math.floor((session.expiresAt - session.createdAt) / 1000)),
  );
  reply.header('cache-control', 'no-store');
  return {
    sessionId: session.handle,
    body: {
      user: publicUser(user),
      csrfToken: session.csrfToken,
      expiresAt: iso(session.expiresAt),
      idleExpiresAt: iso(sessionEndsAt(session)),
    },
  };
}

@ApiTags('registration')
@Controller('auth')
export class RegistrationController {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditLog,
  ) {}

  @Public()
  @UseGuards(SameSiteRequestGuard)
  @Post('register')
  @ApiOperation({ summary: 'Create an account' })
  @ApiCreatedResponse({ type: PublicUserDto, description: 'The account.' })
  @ApiProblems(...LOGIN_PROBLEMS, 'email_taken')
  async register(@Body() body: CredentialsDto, @Client() client: ClientInfo): Promise<PublicUser> {
    await this.throttle.limit('register-ip', client.ip);
    await this.throttle.limit('register-email', body.email);
    const user = await this.credentials.register(body.email, body.password);
    this.audit.record('registration.succeeded', { userId: user.id, ip: client.ip });
    return publicUser(user);
  }
}

/** Session login: the server keeps the state, the browser keeps a cookie naming it. */
@ApiTags('session')
@Controller('auth/session')
export class SessionController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly credentials: CredentialsService,
    private readonly devices: DeviceCookies,
    private readonly audit: AuditLog,
    @Inject(SESSION_COOKIE) private readonly cookie: SessionCookie,
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
    headers: { ...LOGIN_SET_COOKIE, ...NO_STORE },
  })
  @ApiProblems(...LOGIN_PROBLEMS, 'invalid_credentials')
  async login(
    @LoggedInUser() user: User,
    @Client() client: ClientInfo,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponse> {
    const response = await startCookieSession(
      this.sessions,
      this.cookie,
      user,
      client,
      reply,
      request.cookies[this.cookie.name],
    );
    // A browser that logged in: its later attempts count on this device (OWASP device cookies).
    this.devices.remember(request, reply, user.email);
    this.audit.record('login.succeeded', {
      userId: user.id,
      sessionId: response.sessionId,
      method: 'session',
      ip: client.ip,
    });
    return response.body;
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
    const secret = request.cookies[this.cookie.name];
    if (secret) await this.sessions.end(secret);
    reply.clearCookie(this.cookie.name, this.cookie.clear());
    this.audit.record('logout', {
      userId: identity.userId,
      sessionId: identity.sessionId,
      method: 'session',
      ip: client.ip,
    });
  }
}

/** Token login: the client keeps the state in a signed access token and a refresh token. */
@ApiTags('token')
@Controller('auth/token')
export class TokenController {
  constructor(
    private readonly tokens: TokensService,
    private readonly audit: AuditLog,
  ) {}

  @Public()
  @UseGuards(SameSiteRequestGuard, LoginGuard)
  @Post()
  @ApiOperation({ summary: 'Log in for an access token and a refresh token' })
  @ApiBody({ type: CredentialsDto })
  @ApiCreatedResponse({ type: TokenResponseDto, description: 'Logged in.', headers: NO_STORE })
  @ApiProblems(...LOGIN_PROBLEMS, 'invalid_credentials')
  async login(
    @LoggedInUser() user: User,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    reply.header('cache-control', 'no-store');
    const response = await this.tokens.login(user, client);
    this.audit.record('login.succeeded', { userId: user.id, method: 'bearer', ip: client.ip });
    return response;
  }

  @Public()
  @UseGuards(SameSiteRequestGuard)
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate the refresh token',
    description: 'The old refresh token is spent; presenting a spent one ends its whole family.',
  })
  @ApiOkResponse({ type: TokenResponseDto, headers: NO_STORE })
  @ApiProblems(...LOGIN_PROBLEMS, 'invalid_refresh_token')
  refresh(
    @Body() body: RefreshTokenDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    reply.header('cache-control', 'no-store');
    return this.tokens.refresh(body.refresh_token, client);
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

/**
 * The user's own sessions and token families (OWASP ASVS 5.0 §7.5): list
 * them, end one, end all.
 */
@ApiTags('account')
@ApiAuthenticated()
@Controller('auth')
export class AccountSessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly signOut: SignOutService,
    private readonly audit: AuditLog,
    @Inject(SESSION_COOKIE) private readonly cookie: SessionCookie,
  ) {}

  @Get('sessions')
  @ApiOperation({ summary: "The user's sessions and token families" })
  @ApiOkResponse({ type: [SessionListingDto] })
  @ApiProblems(...AUTHENTICATED_PROBLEMS)
  async list(@CurrentIdentity() identity: Identity): Promise<SessionListing[]> {
    const [sessions, families] = await Promise.all([
      this.sessions.list(identity.userId),
      this.tokens.list(identity.userId),
    ]);
    const rows = [
      ...sessions.map((session) => ({
        ...session,
        id: session.handle,
        method: 'session' as const,
      })),
      ...families.map((family) => ({ ...family, method: 'bearer' as const })),
    ];
    return rows
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((row) => ({
        id: row.id,
        method: row.method,
        createdAt: iso(row.createdAt),
        lastSeenAt: iso(row.lastSeenAt),
        userAgent: row.userAgent,
        ip: row.ip,
        current: row.id === identity.sessionId,
      }));
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End one session or token family of the user' })
  @ApiNoContentResponse({ description: 'Ended.' })
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...COOKIE_CHANGE_PROBLEMS, 'not_found')
  async revoke(
    @CurrentIdentity() identity: Identity,
    @Param('id') id: string,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const ended =
      (await this.sessions.revoke(identity.userId, id)) ||
      (await this.tokens.revokeFamily(identity.userId, id));
    if (!ended) throw new AppError('not_found', 'You have no session with this id.');
    if (id === identity.sessionId && identity.credential === 'session-cookie') {
      reply.clearCookie(this.cookie.name, this.cookie.clear());
    }
    this.audit.record('session.revoked', { userId: identity.userId, sessionId: id, ip: client.ip });
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session and refresh token of the user' })
  @ApiNoContentResponse({ description: 'All ended; a cookie caller also has its cookie cleared.' })
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...COOKIE_CHANGE_PROBLEMS)
  async logoutAll(
    @CurrentIdentity() identity: Identity,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const { sessions, families } = await this.signOut.everywhere(identity.userId, {
      caller: identity.sessionId,
    });
    if (identity.credential === 'session-cookie') {
      reply.clearCookie(this.cookie.name, this.cookie.clear());
    }
    this.audit.record('logout_all', {
      userId: identity.userId,
      sessions: sessions.length,
      families: families.length,
      ip: client.ip,
    });
  }
}

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
  constructor(
    private readonly credentials: CredentialsService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly signOut: SignOutService,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditLog,
    @Inject(SESSION_COOKIE) private readonly cookie: SessionCookie,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Change the password',
    description:
      'Every session and token family of the user ends; the caller gets a new credential of the kind it used.',
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
  )
  async change(
    @CurrentIdentity() identity: Identity,
    @Body() body: ChangePasswordDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponse | TokenResponse> {
    const user = await this.credentials.authenticatedUser(identity.userId);
    // Counted on the caller's session, not the account: guesses at the login
    // form cannot lock a signed-in owner out of changing the password.
    const check = await this.throttle.beginPasswordCheck({ session: identity.sessionId });
    if (!(await this.credentials.checkPassword(user, body.currentPassword))) {
      this.audit.record('password.change_failed', { userId: user.id, ip: client.ip });
      this.throttle.passwordFailed(check, { ip: client.ip });
      throw new AppError('wrong_password', 'The current password is wrong.');
    }
    await this.throttle.passwordMatched(check);
    // The new password and credential version commit first; the sign-out
    // they owe then ends everything older. Should it fail halfway, the
    // change stays pending and SignOutService finishes it within a second
    // of the stores answering again.
    const credentialVersion = await this.credentials.setPassword(user.id, body.newPassword);
    const changed = { ...user, credentialVersion };
    let signedOut: SignedOut;
    try {
      signedOut = await this.signOut.afterPasswordChange(
        { userId: user.id, credentialVersion },
        identity.sessionId,
      );
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      throw new AppError(
        error.code,
        'The password was changed; ending the other sessions is retried until it completes. Log in with the new password.',
        { cause: error },
      );
    }
    this.audit.record('password.changed', {
      userId: user.id,
      sessions: signedOut.sessions.length,
      families: signedOut.families.length,
      ip: client.ip,
    });
    reply.header('cache-control', 'no-store');
    if (identity.credential === 'session-cookie') {
      const started = await startCookieSession(this.sessions, this.cookie, changed, client, reply);
      return started.body;
    }
    return this.tokens.login(changed, client);
  }
}

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
  ): Promise<{ id: string; email: string; method: string }> {
    const user = await this.credentials.authenticatedUser(identity.userId);
    return { ...publicUser(user), method: identity.method };
  }
}

@ApiTags('keys')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Public()
  @Get('jwks.json')
  @ApiOperation({
    summary: 'The public keys that sign access tokens',
    description: 'Each with `kid`, `alg` and `use: "sig"`; a new key is published before it signs.',
  })
  @ApiOkResponse({ type: JwksDto })
  jwks(@Res({ passthrough: true }) reply: FastifyReply): ReturnType<SigningKeysService['jwks']> {
    reply.header('cache-control', 'public, max-age=30');
    return this.keys.jwks();
  }
}
