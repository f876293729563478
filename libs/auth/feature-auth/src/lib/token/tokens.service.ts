import { randomUUID } from 'node:crypto';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { RefreshTokenRepository, TokenFamily, User } from '@svt/auth/data-access';
import { REFRESH_TOKEN_REPOSITORY } from '@svt/auth/data-access';
import { ACCESS_TOKEN_TYPE, assuranceLevel } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, randomSecret, sha256Hex } from '@svt/shared/util-security';
import { AuditLog } from '../shared/audit-log';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { addressKey } from '../shared/client-address';
import { CredentialsService } from '../shared/credentials.service';
import { seal, unseal } from '../keys/key-sealing';
import { RevocationsService } from '../shared/revocations.service';
import type { ClientInfo } from '../shared/request-context';
import { SigningKeysService } from '../keys/signing-keys.service';
import { ThrottleService } from '../shared/throttle.service';

/** The token response of RFC 6749 §5.1; `DPoP` for a family bound to a key (RFC 9449 §5). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer' | 'DPoP';
  readonly expires_in: number;
  readonly refresh_token: string;
}

/** Ended families stay a day for investigation (who, when, from where), then go. */
const ENDED_FAMILY_RETENTION_MS = 24 * 3600 * 1000;

/** How a login authenticated the user; the time defaults to the login's. */
export interface Authentication {
  readonly amr: readonly string[];
  readonly authTime?: number;
}

const PASSWORD_ONLY: Authentication = { amr: ['pwd'] };

/**
 * Token login: a short-lived signed access token (RFC 9068) and an opaque
 * refresh token that rotates on every use (RFC 9700 §4.14.2). A token login
 * starts a family; its id is the access tokens' `sid`. A family ends at its
 * absolute lifetime (REFRESH_TOKEN_TTL), when its current token goes unused
 * for REFRESH_TOKEN_IDLE_TTL, on revocation, and when a spent token comes back.
 */
@Injectable()
export class TokensService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TokensService.name);
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    @Inject(REFRESH_TOKEN_REPOSITORY) private readonly families: RefreshTokenRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly revocations: RevocationsService,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditLog,
    private readonly credentials: CredentialsService,
  ) {}

  /** Sweeps ended families every hour, so the table does not grow without end. */
  onModuleInit(): void {
    this.sweeper = setInterval(() => {
      this.families
        .deleteEndedBefore(this.clock.now() - ENDED_FAMILY_RETENTION_MS)
        .catch((error: unknown) =>
          this.logger.warn(`Deleting ended token families failed: ${(error as Error).message}`),
        );
    }, ENDED_FAMILY_RETENTION_MS / 24);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /**
   * Starts a token family for `user` as its password check read it, bound
   * to the DPoP key `dpopJkt` when the request proved one. Refused with
   * `invalid_credentials` when a password change has committed since that
   * check (see `CredentialsService.assertStillCurrent`).
   */
  async login(
    user: Pick<User, 'id' | 'credentialVersion'>,
    client: ClientInfo,
    dpopJkt: string | null,
    authentication: Authentication = PASSWORD_ONLY,
  ): Promise<TokenResponse> {
    const now = this.clock.now();
    const familyId = randomUUID();
    const authn = { amr: authentication.amr, authTime: authentication.authTime ?? now };
    const refreshToken = randomSecret();
    await this.families.createFamily(
      {
        id: familyId,
        userId: user.id,
        createdAt: now,
        expiresAt: now + this.config.REFRESH_TOKEN_TTL * 1000,
        lastSeenAt: now,
        revokedAt: null,
        userAgent: client.userAgent?.slice(0, 256) ?? null,
        ip: client.ip,
        credentialVersion: user.credentialVersion,
        dpopJkt,
        ...authn,
      },
      { hash: sha256Hex(refreshToken), expiresAt: now + this.config.REFRESH_TOKEN_IDLE_TTL * 1000 },
    );
    try {
      await this.credentials.assertStillCurrent(user);
    } catch (error) {
      // No token of it has left yet: revoking it is enough.
      await this.families.revokeFamilies(user.id, [familyId], this.clock.now());
      throw error;
    }
    return this.respond(user.id, familyId, refreshToken, dpopJkt, authn);
  }

  /**
   * Spends a refresh token for a new pair. A client that retries the same
   * refresh within REFRESH_TOKEN_REUSE_GRACE (a lost response), from the
   * same address, gets the same successor back and an audit line says so;
   * any other reuse of a spent token revokes the family and its access
   * tokens. A spent token of a family revoked before denies the family again
   * (idempotent), so a revocation whose denial failed is repaired by the
   * next presentation. A family bound to a DPoP key refreshes only with a
   * proof by that key (`dpopJkt`); anything else is refused before the token
   * is spent, so a thief without the key cannot burn it either.
   */
  async refresh(
    presented: string,
    client: ClientInfo,
    dpopJkt: string | null,
  ): Promise<TokenResponse> {
    await this.throttle.limit('refresh-ip', client.ip);
    const presentedHash = sha256Hex(presented);
    const owner = await this.families.familyOfToken(presentedHash);
    if (owner) {
      await this.throttle.limit('refresh-account', owner.userId);
      this.assertSameKey(owner, dpopJkt, client);
    }

    const now = this.clock.now();
    const next = randomSecret();
    const outcome = await this.families.rotate(
      presentedHash,
      {
        hash: sha256Hex(next),
        expiresAt: now + this.config.REFRESH_TOKEN_IDLE_TTL * 1000,
        // Only a holder of the presented token can open this: the store alone cannot.
        sealed: seal(next, presented, 'svt-refresh-successor'),
        spentFrom: addressKey(client.ip),
      },
      now,
      this.config.REFRESH_TOKEN_REUSE_GRACE * 1000,
    );
    switch (outcome.kind) {
      case 'rotated':
        return this.respond(
          outcome.family.userId,
          outcome.family.id,
          next,
          outcome.family.dpopJkt,
          outcome.family,
        );
      case 'retried':
        this.audit.record('refresh_token.retried', {
          userId: outcome.family.userId,
          sessionId: outcome.family.id,
          ip: client.ip,
          userAgent: client.userAgent?.slice(0, 256) ?? null,
        });
        return this.respond(
          outcome.family.userId,
          outcome.family.id,
          unseal(outcome.sealedSuccessor, presented, 'svt-refresh-successor'),
          outcome.family.dpopJkt,
          outcome.family,
        );
      case 'reused':
        this.audit.record('refresh_token.reused', {
          userId: outcome.userId,
          sessionId: outcome.familyId,
          ip: client.ip,
        });
        await this.revocations.deny([outcome.familyId]);
        break;
      case 'revoked':
        await this.revocations.deny([outcome.familyId], outcome.revokedAt);
        break;
    }
    throw new AppError(
      'invalid_refresh_token',
      'The refresh token is invalid, expired or already used.',
    );
  }

  /**
   * Logout for tokens: ends the family of a refresh token and denies its
   * access tokens, denial first. Unknown tokens are ignored (RFC 7009 §2.2);
   * a token of a family revoked before denies it again.
   */
  async revoke(presented: string, client: ClientInfo): Promise<void> {
    const family = await this.families.familyOfToken(sha256Hex(presented));
    if (!family) return;
    if (family.revokedAt !== null) {
      await this.revocations.deny([family.id], family.revokedAt);
      return;
    }
    await this.revocations.deny([family.id]);
    if (!(await this.families.revokeFamily(family.id, family.userId, this.clock.now()))) return;
    this.audit.record('logout', {
      userId: family.userId,
      sessionId: family.id,
      method: 'bearer',
      ip: client.ip,
    });
  }

  list(userId: string): Promise<TokenFamily[]> {
    return this.families.listLive(userId, this.clock.now());
  }

  /**
   * Ends one of the user's families, denial first; false when the user has
   * no revocable one with this id.
   */
  async revokeFamily(userId: string, familyId: string): Promise<boolean> {
    const family = await this.families.findFamily(familyId);
    if (
      !family ||
      family.userId !== userId ||
      family.revokedAt !== null ||
      family.expiresAt <= this.clock.now()
    ) {
      return false;
    }
    await this.revocations.deny([familyId]);
    return (await this.families.revokeFamilies(userId, [familyId], this.clock.now())).length > 0;
  }

  /**
   * Ends every family the user has now, denial first, or with `olderThan`
   * those started under an older credential version, except the family
   * `except`; resolves to their ids. A family started meanwhile is a later
   * login's and is left alone.
   */
  async endAll(userId: string, olderThan = Infinity, except?: string): Promise<string[]> {
    const ids = (await this.families.revocableFamilies(userId, this.clock.now()))
      .filter((family) => family.credentialVersion < olderThan && family.id !== except)
      .map((family) => family.id);
    await this.revocations.deny(ids);
    await this.families.revokeFamilies(userId, ids, this.clock.now());
    return ids;
  }

  /**
   * RFC 9449 §5: a bound family's refresh token is spent only with a proof by
   * its key, and an unbound one is not bound after the fact. A proof by
   * another key is audited: it is the refresh token of a family in hands
   * that do not hold the key.
   */
  private assertSameKey(family: TokenFamily, dpopJkt: string | null, client: ClientInfo): void {
    if (family.dpopJkt === dpopJkt) return;
    if (family.dpopJkt === null) {
      throw new AppError(
        'invalid_dpop_proof',
        'This refresh token is not bound to a key: refresh it without a DPoP proof.',
        { tokenRequest: true },
      );
    }
    if (dpopJkt === null) {
      throw new AppError(
        'invalid_dpop_proof',
        'This refresh token is bound to a key: send a DPoP proof made with it.',
        { tokenRequest: true },
      );
    }
    this.audit.record('refresh_token.wrong_key', {
      userId: family.userId,
      sessionId: family.id,
      ip: client.ip,
    });
    throw new AppError(
      'invalid_refresh_token',
      'The refresh token is invalid, expired or already used.',
    );
  }

  private respond(
    userId: string,
    familyId: string,
    refreshToken: string,
    dpopJkt: string | null,
    authn: Pick<TokenFamily, 'amr' | 'authTime'>,
  ): TokenResponse {
    const key = this.keys.current();
    const accessToken = this.jwt.sign(
      {
        sid: familyId,
        jti: randomUUID(),
        iat: Math.floor(this.clock.now() / 1000),
        // RFC 9068 §2.2.1: how and when the user authenticated, so a resource
        // server can ask for more (RFC 9470) without calling back.
        auth_time: Math.floor(authn.authTime / 1000),
        amr: [...authn.amr],
        acr: assuranceLevel(authn.amr),
        // RFC 9449 §6.1: the confirmation a resource server checks each proof against.
        ...(dpopJkt !== null ? { cnf: { jkt: dpopJkt } } : {}),
      },
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
      token_type: dpopJkt !== null ? 'DPoP' : 'Bearer',
      expires_in: this.config.ACCESS_TOKEN_TTL,
      refresh_token: refreshToken,
    };
  }
}
