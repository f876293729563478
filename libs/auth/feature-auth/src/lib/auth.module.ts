import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import type { Logger } from 'pino';
import {
  ACCOUNT_TOKEN_REPOSITORY,
  PENDING_LOGIN_REPOSITORY,
  RECOVERY_CODE_REPOSITORY,
  REFRESH_TOKEN_REPOSITORY,
  SIGNING_KEY_REPOSITORY,
  SqlAccountTokenRepository,
  SqlPendingLoginRepository,
  SqlRecoveryCodeRepository,
  SqlRefreshTokenRepository,
  SqlSigningKeyRepository,
  SqlTotpFactorRepository,
  SqlUserRepository,
  TOTP_FACTOR_REPOSITORY,
  USER_REPOSITORY,
  authMigrations,
} from '@svt/auth/data-access';
import type { SqlClient } from '@svt/shared/data-access-sql';
import {
  AUTH_JWKS,
  AuthnModule,
  DEVICE_BINDING_REQUIRED,
  dpopOptions,
  TOKEN_OR_COOKIE,
  provideAccessTokenVerification,
  SESSION_COOKIE_NAME,
  SessionCookie,
} from '@svt/shared/feature-authn';
import { ServiceCoreModule } from '@svt/shared/feature-service-core';
import { AccountSessionsController } from './account/account-sessions.controller';
import { AccountSessionsService } from './account/account-sessions.service';
import { MeController } from './account/me.controller';
import { PasswordChangeService } from './account/password-change.service';
import { PasswordController } from './account/password.controller';
import { SignOutService } from './account/sign-out.service';
import type { AuthConfig } from './auth.config';
import { smtpUrl } from './auth.config';
import { AUTH_CONFIG, AUTH_SQL, SESSION_COOKIE } from './auth.tokens';
import { EmailVerificationController } from './email-verification/email-verification.controller';
import { EmailVerificationService } from './email-verification/email-verification.service';
import { JwksController } from './keys/jwks.controller';
import { AccountMail } from './mail/account-mail';
import { PasswordResetController } from './password-reset/password-reset.controller';
import { PasswordResetService } from './password-reset/password-reset.service';
import { MAILER } from './mail/mailer';
import { NodemailerMailer } from './mail/nodemailer-mailer';
import { LoginPageService } from './oidc/login-page.service';
import { OpenIdProvider } from './oidc/openid-provider';
import { SingleSignOnSessions } from './oidc/single-sign-on-sessions.service';
import { SigningKeysService } from './keys/signing-keys.service';
import { RegistrationController } from './registration/registration.controller';
import { RegistrationService } from './registration/registration.service';
import { CookieSessionService } from './session/cookie-session.service';
import { DeviceBindingController } from './session/device-binding/device-binding.controller';
import { DeviceBindingService } from './session/device-binding/device-binding.service';
import { PendingLoginsService } from './second-factor/pending-logins.service';
import { SecondFactorService } from './second-factor/second-factor.service';
import { StepUpGuard } from './second-factor/step-up.guard';
import { TotpDisableService } from './second-factor/totp-disable.service';
import { TotpController } from './second-factor/totp.controller';
import { SessionController } from './session/session.controller';
import { SessionsService } from './session/sessions.service';
import { AccountTokensSweeper } from './shared/account-tokens-sweeper';
import { AuditLog } from './shared/audit-log';
import { CredentialsService } from './shared/credentials.service';
import { DeviceCookies } from './shared/device-cookie';
import { LocalStrategy } from './shared/local.strategy';
import { Argon2PasswordHasher, PASSWORD_HASHER } from './shared/password-hasher';
import { RevocationsService } from './shared/revocations.service';
import { ServerKeys } from './shared/server-keys';
import { ThrottleService } from './shared/throttle.service';
import { TokenLoginService } from './token/token-login.service';
import { TokenController } from './token/token.controller';
import { TokensService } from './token/tokens.service';

/**
 * The auth service's repositories and signing keys, global because the
 * authenticator pipeline verifies access tokens with the keys.
 */
@Module({})
class AuthCoreModule {
  static forRoot(logger: Logger): DynamicModule {
    const providers = [
      { provide: AuditLog, useValue: new AuditLog(logger) },
      {
        provide: USER_REPOSITORY,
        useFactory: (sql: SqlClient) => new SqlUserRepository(sql),
        inject: [AUTH_SQL],
      },
      {
        provide: REFRESH_TOKEN_REPOSITORY,
        useFactory: (sql: SqlClient) => new SqlRefreshTokenRepository(sql),
        inject: [AUTH_SQL],
      },
      {
        provide: ACCOUNT_TOKEN_REPOSITORY,
        useFactory: (sql: SqlClient) => new SqlAccountTokenRepository(sql),
        inject: [AUTH_SQL],
      },
      {
        provide: SIGNING_KEY_REPOSITORY,
        useFactory: (sql: SqlClient) => new SqlSigningKeyRepository(sql),
        inject: [AUTH_SQL],
      },
      {
        provide: TOTP_FACTOR_REPOSITORY,
        useFactory: (sql: SqlClient) => new SqlTotpFactorRepository(sql),
        inject: [AUTH_SQL],
      },
      {
        provide: RECOVERY_CODE_REPOSITORY,
        useFactory: (sql: SqlClient) => new SqlRecoveryCodeRepository(sql),
        inject: [AUTH_SQL],
      },
      {
        provide: PENDING_LOGIN_REPOSITORY,
        useFactory: (sql: SqlClient) => new SqlPendingLoginRepository(sql),
        inject: [AUTH_SQL],
      },
      SigningKeysService,
    ];
    return {
      module: AuthCoreModule,
      global: true,
      providers,
      exports: providers.map((provider) => ('provide' in provider ? provider.provide : provider)),
    };
  }
}

/** The auth service: users, both login flows, signing keys. */
@Module({})
export class AuthModule {
  /** `logger`: the process's, for the audit lines. */
  static forRoot(config: AuthConfig, logger: Logger): DynamicModule {
    // The shop's session cookie, as the gateway's single sign-on sets it.
    const sessionCookie = new SessionCookie(config.SHOP_ORIGIN, {
      domain: config.SESSION_COOKIE_DOMAIN,
      sameSite: 'strict',
    });
    return {
      module: AuthModule,
      imports: [
        ServiceCoreModule.forRoot({
          config,
          configToken: AUTH_CONFIG,
          database: { token: AUTH_SQL, sqliteFile: 'auth.sqlite', migrations: authMigrations },
          signingKeys: SigningKeysService,
        }),
        AuthCoreModule.forRoot(logger),
        PassportModule,
        JwtModule.register({}),
        AuthnModule.forRoot({
          authenticators: TOKEN_OR_COOKIE,
          providers: [
            // Here the keys are this service's own signing keys, not a fetched JWKS.
            { provide: AUTH_JWKS, useExisting: SigningKeysService },
            provideAccessTokenVerification(
              config.AUTH_ORIGIN,
              config.ACCESS_TOKEN_AUDIENCE,
              config.TOKEN_CACHE_SIZE,
            ),
            { provide: SESSION_COOKIE_NAME, useValue: sessionCookie.name },
            { provide: DEVICE_BINDING_REQUIRED, useValue: config.DBSC_REQUIRED },
          ],
          allowedOrigins: [config.SHOP_ORIGIN, config.AUTH_ORIGIN, ...config.ALLOWED_ORIGINS],
          unauthenticatedDetail:
            'Send the session cookie or an access token (Authorization: Bearer, or DPoP with its proof).',
          // Called directly at AUTH_ORIGIN, or by the shop page through the gateway's /api.
          dpop: dpopOptions(config, {
            origin: config.AUTH_ORIGIN,
            mountedAt: {
              origin: config.SHOP_ORIGIN,
              prefix: '/api',
              trustedProxies: config.TRUSTED_PROXIES,
            },
            sharedSecret: config.KEY_ENCRYPTION_SECRET,
          }),
        }),
      ],
      controllers: [
        RegistrationController,
        SessionController,
        DeviceBindingController,
        TokenController,
        AccountSessionsController,
        PasswordController,
        PasswordResetController,
        EmailVerificationController,
        MeController,
        TotpController,
        JwksController,
      ],
      providers: [
        { provide: PASSWORD_HASHER, useClass: Argon2PasswordHasher },
        { provide: SESSION_COOKIE, useValue: sessionCookie },
        {
          provide: MAILER,
          useValue: new NodemailerMailer({ url: smtpUrl(config), from: config.MAIL_FROM }),
        },
        AccountMail,
        CredentialsService,
        LocalStrategy,
        SessionsService,
        TokensService,
        ThrottleService,
        ServerKeys,
        DeviceCookies,
        RevocationsService,
        SignOutService,
        RegistrationService,
        CookieSessionService,
        DeviceBindingService,
        AccountSessionsService,
        PasswordChangeService,
        TokenLoginService,
        OpenIdProvider,
        LoginPageService,
        SingleSignOnSessions,
        EmailVerificationService,
        PasswordResetService,
        AccountTokensSweeper,
        SecondFactorService,
        PendingLoginsService,
        TotpDisableService,
        StepUpGuard,
      ],
    };
  }
}
