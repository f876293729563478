import { randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import type { Identity } from '@svt/shared/feature-authn';
import { IDENTITY_TOKEN_TYPE } from '@svt/shared/feature-authn';
import type { IdentityKey } from './identity-key';

/**
 * Signs the identity the gateway verified into a short-lived JWT for one
 * upstream (Oathkeeper's id_token mutator): the upstream checks the signature
 * against the gateway's JWKS instead of trusting a plain header.
 */
export class IdentityTokenSigner {
  private readonly jwt = new JwtService();

  constructor(
    private readonly key: IdentityKey,
    private readonly issuer: string,
    private readonly ttlSeconds: number,
  ) {}

  sign(identity: Identity, audience: string): string {
    return this.jwt.sign(
      { sid: identity.sessionId, amr: [identity.method], jti: randomUUID() },
      {
        algorithm: 'ES256',
        privateKey: this.key.privateKey,
        keyid: this.key.kid,
        header: { alg: 'ES256', typ: IDENTITY_TOKEN_TYPE },
        subject: identity.userId,
        issuer: this.issuer,
        audience,
        expiresIn: this.ttlSeconds,
      },
    );
  }
}
