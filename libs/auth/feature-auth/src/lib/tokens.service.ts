import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { RefreshTokenRepository } from '@svt/auth/data-access';
import { REFRESH_TOKEN_REPOSITORY } from '@svt/auth/data-access';
import { ACCESS_TOKEN_TYPE } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, randomSecret, sha256Hex } from '@svt/shared/util-security';
import type { AuthConfig } from './auth.config';
import { AUTH_CONFIG } from './auth.tokens';
import type { ClientInfo } from './sessions.service';
import { SigningKeysService } from './signing-keys.service';

/** The token response of RFC 6749 §5.1. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token: string;
}

/** Token login: a short-lived signed access token and a rotating opaque refresh token. */
@Injectable()
export class TokensService {
  private readonly logger = new Logger('Security');

  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    @Inject(REFRESH_TOKEN_REPOSITORY) private readonly families: RefreshTokenRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async login(userId: string, client: ClientInfo): Promise<TokenResponse> {
    const now = this.clock.now();
    const familyId = randomUUID();
    const refreshToken = randomSecret();
    await this.families.createFamily(
      {
        id: familyId,
        userId,
        createdAt: now,
        expiresAt: now + this.config.REFRESH_TOKEN_TTL * 1000,
        revokedAt: null,
        userAgent: client.userAgent?.slice(0, 256) ?? null,
        ip: client.ip,
      },
      { hash: sha256Hex(refreshToken), expiresAt: now + this.config.REFRESH_TOKEN_TTL * 1000 },
    );
    return this.respond(userId, familyId, refreshToken);
  }

  /** Spends a refresh token for a new pair (RFC 9700 §4.14.2 rotation). */
  async refresh(presented: string): Promise<TokenResponse> {
    const now = this.clock.now();
    const next = randomSecret();
    const outcome = await this.families.rotate(
      sha256Hex(presented),
      { hash: sha256Hex(next), expiresAt: now + this.config.REFRESH_TOKEN_TTL * 1000 },
      now,
    );
    if (outcome.kind === 'reused') {
      this.logger.warn(
        JSON.stringify({
          event: 'refresh_token.reused',
          familyId: outcome.familyId,
          userId: outcome.userId,
        }),
      );
    }
    if (outcome.kind !== 'rotated') {
      throw new AppError(
        'invalid_refresh_token',
        'The refresh token is invalid, expired or already used.',
      );
    }
    return this.respond(outcome.family.userId, outcome.family.id, next);
  }

  /** Ends the family of a refresh token; unknown tokens are ignored (RFC 7009 §2.2). */
  async revoke(presented: string): Promise<void> {
    await this.families.revokeByToken(sha256Hex(presented), this.clock.now());
  }

  private respond(userId: string, familyId: string, refreshToken: string): TokenResponse {
    const key = this.keys.current();
    const accessToken = this.jwt.sign(
      { sid: familyId, jti: randomUUID(), iat: Math.floor(this.clock.now() / 1000) },
      {
        algorithm: 'ES256',
        privateKey: key.privateKey,
        keyid: key.kid,
        header: { alg: 'ES256', typ: ACCESS_TOKEN_TYPE },
        subject: userId,
        issuer: this.config.AUTH_ORIGIN,
        audience: this.config.ACCESS_TOKEN_AUDIENCE,
        expiresIn: this.config.ACCESS_TOKEN_TTL,
      },
    );
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.config.ACCESS_TOKEN_TTL,
      refresh_token: refreshToken,
    };
  }
}
