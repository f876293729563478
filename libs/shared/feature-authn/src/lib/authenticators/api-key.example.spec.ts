import { Inject, Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { FastifyRequest } from 'fastify';
import { sha256Hex } from '@svt/shared/util-security';
import type { AuthnResult, Authenticator } from '../authenticator';
import { NOT_MINE } from '../authenticator';
import { AuthnModule } from '../authn.module';
import { AUTHENTICATORS } from '../authn.tokens';

// The README's worked example, kept as a test so that it cannot rot.

/** SHA-256 of each API key → the user it acts for: only hashes are kept. */
const API_KEYS = Symbol('ApiKeys');

@Injectable()
class ApiKeyAuthenticator implements Authenticator {
  readonly name = 'api-key';
  constructor(@Inject(API_KEYS) private readonly keys: ReadonlyMap<string, string>) {}

  async authenticate(request: FastifyRequest): Promise<AuthnResult> {
    const key = request.headers['x-api-key'];
    if (key === undefined) return NOT_MINE;
    const userId = typeof key === 'string' ? this.keys.get(sha256Hex(key)) : undefined;
    if (!userId) return { kind: 'rejected', reason: 'token_invalid', tokenPresented: true };
    const identity = {
      userId,
      sessionId: userId,
      method: 'bearer',
      credential: 'api-key',
    } as const;
    return { kind: 'authenticated', identity: { ...identity, expiresAt: Infinity } };
  }
}

describe('adding an authenticator: X-Api-Key', () => {
  it.each([
    ['k-123', { kind: 'authenticated', identity: expect.objectContaining({ userId: 'u-7' }) }],
    ['k-999', { kind: 'rejected', reason: 'token_invalid', tokenPresented: true }],
    [undefined, { kind: 'not-mine' }],
  ])('answers X-Api-Key: %p with %j', async (key, answer) => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuthnModule.forRoot({
          authenticators: [ApiKeyAuthenticator],
          providers: [{ provide: API_KEYS, useValue: new Map([[sha256Hex('k-123'), 'u-7']]) }],
          allowedOrigins: [],
          unauthenticatedDetail: 'Send X-Api-Key.',
        }),
      ],
    }).compile();
    const [apiKey] = moduleRef.get<Authenticator[]>(AUTHENTICATORS);
    const headers = key === undefined ? {} : { 'x-api-key': key };
    await expect(apiKey?.authenticate({ headers } as FastifyRequest)).resolves.toEqual(answer);
  });
});
