import { Injectable } from '@nestjs/common';
import type { User } from '@svt/auth/data-access';
import { AuditLog } from '../shared/audit-log';
import type { ClientInfo } from '../shared/request-context';
import type { TokenResponse } from './tokens.service';
import { TokensService } from './tokens.service';

/** Token login: a new token family for a user the login guard has checked, audited. */
@Injectable()
export class TokenLoginService {
  constructor(
    private readonly tokens: TokensService,
    private readonly audit: AuditLog,
  ) {}

  async login(user: User, client: ClientInfo, dpopJkt: string | null): Promise<TokenResponse> {
    const response = await this.tokens.login(user, client, dpopJkt);
    const method = dpopJkt === null ? 'bearer' : 'dpop';
    this.audit.record('login.succeeded', { userId: user.id, method, ip: client.ip });
    return response;
  }
}
