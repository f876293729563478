import { join } from 'node:path';
import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import type { RelyingParty } from '@svt/shared/util-config';
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
/** Where a relying party keeps its client key: one file per client, apart from any other key. */
export function ssoClientKeyFile(dataDir: string, party: RelyingParty): string {
  return join(dataDir, `sso-client-key-${party.clientId}.pem`);
}

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
          useFactory: (): Promise<SigningKey> =>
            loadOrCreateSigningKey(ssoClientKeyFile(options.dataDir, party)),
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
      // For the service's own pages: whether a browser has a session here, and where to sign in.
      exports: [SSO_OPTIONS, SsoSessionsService],
    };
  }
}
