import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import type { SigningKey } from '@svt/shared/util-security';
import { loadOrCreateSigningKey } from '@svt/shared/util-security';
import { BackchannelLogoutService } from './backchannel-logout.service';
import { FlowCookie } from './flow-cookie';
import { SsoClient } from './sso-client';
import { ssoController } from './sso.controller';
import { SsoLoginService } from './sso-login.service';
import { SSO_CLIENT_KEY, SSO_OPTIONS } from './sso.options';
import type { SsoOptions } from './sso.options';
import { SsoSessionsService } from './sso-sessions.service';

/**
 * A service as a relying party of AUTH's OpenID Provider: the routes its
 * `RELYING_PARTIES` entry names, sessions in the shared SESSION_STORE, its
 * own client key. Needs `ServiceCoreModule` (the shared state and the clock).
 * A JSON-only app also calls `acceptFormsOn(app, ssoFormPaths(party))`.
 */
@Module({})
export class SsoModule {
  static forRoot(options: SsoOptions): DynamicModule {
    const { party, origin } = options;
    return {
      module: SsoModule,
      controllers: [ssoController(party)],
      providers: [
        { provide: SSO_OPTIONS, useValue: options },
        {
          provide: SSO_CLIENT_KEY,
          useFactory: (): Promise<SigningKey> => loadOrCreateSigningKey(options.clientKeyFile),
        },
        {
          provide: SsoClient,
          inject: [SSO_CLIENT_KEY],
          useFactory: (clientKey: SigningKey) =>
            new SsoClient({
              issuer: options.authOrigin,
              authUrl: options.authUrl,
              clientId: party.clientId,
              redirectUri: `${origin}${party.callbackPath}`,
              postLogoutRedirectUri: `${origin}${party.postLogoutPath}`,
              clientKey,
            }),
        },
        {
          provide: FlowCookie,
          useFactory: () =>
            new FlowCookie({
              secret: options.cookieSecret,
              clientId: party.clientId,
              secure: isSecureContextOrigin(origin),
              callbackPath: party.callbackPath,
            }),
        },
        SsoSessionsService,
        SsoLoginService,
        BackchannelLogoutService,
      ],
    };
  }
}
