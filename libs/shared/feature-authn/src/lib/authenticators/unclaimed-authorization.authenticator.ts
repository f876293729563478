import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthnResult, Authenticator } from '../authenticator';
import { NOT_MINE } from '../authenticator';

const UNSUPPORTED_SCHEME: AuthnResult = Object.freeze({
  kind: 'rejected',
  reason: 'malformed_authorization',
  tokenPresented: true,
});

/**
 * An `Authorization` header that no authenticator before this one claimed:
 * a scheme this service does not accept (`Basic`, a typo). The client meant
 * to authenticate with it, so the request is refused rather than served
 * with whatever cookie came along. Placed after the authenticators of
 * `Authorization` schemes, before the cookie.
 */
@Injectable()
export class UnclaimedAuthorizationAuthenticator implements Authenticator {
  readonly name = 'unclaimed-authorization';

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    return request.headers.authorization === undefined ? NOT_MINE : UNSUPPORTED_SCHEME;
  }
}
