import { Injectable } from '@nestjs/common';
import type { User } from '@svt/auth/data-access';
import { AuditLog } from '../shared/audit-log';
import type { ClientInfo } from '../shared/request-context';
import type { Authentication, TokenResponse } from './tokens.service';
import { TokensService } from './tokens.service';

/** Token login: a new token family for a user the login guard has checked, audited. */
@Injectable()
export class TokenLoginService {
  constructor(
    private readonly tokens: TokensService,
    private readonly audit: AuditLog,
  ) {}

  async login(
    user: User,
    client: ClientInfo,
    dpopJkt: string | null,
    authentication?: Authentication,
  ): Promise<TokenResponse> {
    const response = await this.tokens.login(user, client, dpopJkt, authentication);
    const method = dpopJkt === null ? 'bearer' : 'dpop';
    const amr = (authentication?.amr ?? ['pwd']).join(' ');
    this.audit.record('login.succeeded', { userId: user.id, method, amr, ip: client.ip });
    return response;
  }
}
