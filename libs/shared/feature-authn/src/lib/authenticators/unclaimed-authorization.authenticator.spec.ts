import type { FastifyRequest } from 'fastify';
import { UnclaimedAuthorizationAuthenticator } from './unclaimed-authorization.authenticator';

const withHeaders = (headers: Record<string, string>): FastifyRequest =>
  ({ headers }) as unknown as FastifyRequest;

describe(UnclaimedAuthorizationAuthenticator.name, () => {
  const authenticator = new UnclaimedAuthorizationAuthenticator();

  it('is not concerned by a request without an Authorization header', async () => {
    await expect(authenticator.authenticate(withHeaders({}))).resolves.toEqual({
      kind: 'not-mine',
    });
  });

  it.each(['Basic dTpw', 'Digest username="u"', 'Token abc'])(
    'refuses %p, a scheme no earlier authenticator claimed, as malformed',
    async (authorization) => {
      await expect(authenticator.authenticate(withHeaders({ authorization }))).resolves.toEqual({
        kind: 'rejected',
        reason: 'malformed_authorization',
        tokenPresented: true,
      });
    },
  );
});
