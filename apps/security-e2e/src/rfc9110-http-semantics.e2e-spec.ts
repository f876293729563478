import { request } from 'node:http';
import {
  http,
  loginWithToken,
  newCredentials,
  registerUser,
  startSystem,
} from '@svt/shared/testing';
import type { HttpClient, RegisteredUser, SystemUnderTest } from '@svt/shared/testing';

/**
 * RFC 9110 at the gateway, an intermediary. It reads a request's whole body
 * before forwarding it, so it meets an `Expect: 100-continue` (§10.1.1)
 * itself: the client gets its 100 Continue from the gateway, and the
 * upstream a complete request with nothing left to expect.
 */

interface RawAnswer {
  status: number;
  /** Whether the server sent `100 Continue` before the final answer. */
  continued: boolean;
  body: string;
}

/**
 * Sends `body` with `Expect: 100-continue`, as curl does for large uploads:
 * the body goes only once the server said 100 Continue. node:http, because
 * undici refuses to send an Expect header.
 */
function sendExpectingContinue(
  port: number,
  host: string,
  method: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          host,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          expect: '100-continue',
          ...headers,
        },
        timeout: 10_000,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, continued, body: text }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('continue', () => {
      continued = true;
      outgoing.end(body);
    });
    outgoing.on('timeout', () =>
      outgoing.destroy(new Error(`${method} ${path}: no answer in 10 s`)),
    );
    outgoing.on('error', reject);
    outgoing.flushHeaders();
  });
}

describe('RFC 9110 at the gateway', () => {
  let sut: SystemUnderTest;
  let shop: HttpClient;
  let user: RegisteredUser;
  let accessToken: string;

  beforeAll(async () => {
    sut = await startSystem();
    shop = http(sut.shop);
    user = await registerUser(shop, newCredentials(), '/api/auth');
    accessToken = (await loginWithToken(shop, user, '/api/auth')).accessToken;
  }, 120_000);

  afterAll(async () => {
    await sut?.stop();
  });

  const shopHost = (): string => new URL(sut.shop.origin).host;

  describe('§10.1.1 Expect: 100-continue is met at the gateway, not forwarded', () => {
    it('answers a Bearer PUT /api/cart/items/:sku with the normal 200 and the cart', async () => {
      const answer = await sendExpectingContinue(
        sut.shop.port,
        shopHost(),
        'PUT',
        '/api/cart/items/tea-expect',
        JSON.stringify({ quantity: 2 }),
        { authorization: `Bearer ${accessToken}` },
      );

      expect(answer).toMatchObject({ status: 200, continued: true });
      expect(JSON.parse(answer.body)).toMatchObject({
        items: [{ sku: 'tea-expect', quantity: 2 }],
      });
    });

    it('answers a POST /api/auth/token with the normal 201 and a token pair', async () => {
      const answer = await sendExpectingContinue(
        sut.shop.port,
        shopHost(),
        'POST',
        '/api/auth/token',
        JSON.stringify({ email: user.email, password: user.password }),
      );

      expect(answer).toMatchObject({ status: 201, continued: true });
      expect(JSON.parse(answer.body)).toMatchObject({ token_type: 'Bearer' });
    });
  });
});
