import { setTimeout as sleep } from 'node:timers/promises';
import {
  decodeJwt,
  expectProblem,
  generateDpopKey,
  generateEs256Key,
  http,
  loginWithDpop,
  loginWithToken,
  openLiveCart,
  refusedLiveCart,
  signUp,
  startSystem,
} from '@svt/shared/testing';
import type {
  HandshakeRefused,
  HttpClient,
  HttpResponse,
  JsonObject,
  LiveCart,
  SignedUpUser,
  SystemUnderTest,
} from '@svt/shared/testing';
import { es256Jwt, freshClaims, INVALID_TOKEN_CHALLENGE, kidOf } from './support';

/**
 * The live cart's WebSocket against RFC 6455 §10 and the OWASP WebSocket
 * Security Cheat Sheet: the Origin guards the cookie (Cross-Site WebSocket
 * Hijacking), no credential in the URL, messages and sockets bounded, an
 * unauthenticated socket given a deadline, a bad token refused before any
 * upgrade. The gateway runs with a 1 s auth deadline, 2 sockets per user
 * and a ping every second.
 */

const AUTH_TIMEOUT_MS = 1000;
const PING_INTERVAL_MS = 1000;
const MAX_SOCKETS = 2;
/** The verifiers' clock tolerance past `exp` (RFC 7519 §4.1.4 leeway), in seconds. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** CART_EVENTS_MAX_MESSAGE_BYTES's default. */
const MAX_MESSAGE_BYTES = 8192;

let sut: SystemUnderTest;
let shop: HttpClient;
let user: SignedUpUser;

beforeAll(async () => {
  sut = await startSystem({
    env: {
      gateway: {
        CART_EVENTS_AUTH_TIMEOUT_MS: String(AUTH_TIMEOUT_MS),
        CART_EVENTS_MAX_SOCKETS_PER_USER: String(MAX_SOCKETS),
        CART_EVENTS_PING_INTERVAL_MS: String(PING_INTERVAL_MS),
      },
    },
  });
  shop = http(sut.shop);
  user = await signUp(shop, '/api/auth');
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

const cookieOf = (login: SignedUpUser): string => login.session.jar.header('/api/cart/events');

/** The user's own claims, signed by an attacker's key under AUTH's real kid. */
function forgedToken(): string {
  const claims = decodeJwt(user.tokens.accessToken).payload as JsonObject;
  return es256Jwt(freshClaims({ ...claims }), generateEs256Key().privateKey, {
    typ: 'at+jwt',
    kid: kidOf(user.tokens.accessToken),
  });
}

/** A refusal as the HTTP routes answer: a problem with its code, never an upgrade. */
function expectRefusal(refused: HandshakeRefused, status: number, code: string): void {
  const response = {
    status: refused.status,
    headers: refused.headers,
    json: refused.body,
    text: JSON.stringify(refused.body),
  } as unknown as HttpResponse<unknown>;
  expectProblem(response, status, code);
}

describe('Cross-Site WebSocket Hijacking: the session cookie counts only from an allowed Origin', () => {
  it('refuses the cookie from another Origin with 403 forbidden_origin, before any upgrade', async () => {
    const refused = await refusedLiveCart(sut.shop, {
      origin: 'http://evil.localhost:1',
      cookie: cookieOf(user),
    });

    expectRefusal(refused, 403, 'forbidden_origin');
  });

  it('refuses the cookie from an allowed Origin when Fetch Metadata says the request is cross-site', async () => {
    const refused = await refusedLiveCart(sut.shop, {
      origin: sut.shop.origin,
      cookie: cookieOf(user),
      headers: { 'sec-fetch-site': 'cross-site' },
    });

    expectRefusal(refused, 403, 'forbidden_origin');
  });

  it('refuses the cookie without any Origin with 403 forbidden_origin', async () => {
    const refused = await refusedLiveCart(sut.shop, { cookie: cookieOf(user) });

    expectRefusal(refused, 403, 'forbidden_origin');
  });

  it('takes a token from any Origin: a token is not sent by the browser on its own', async () => {
    const live = await openLiveCart(sut.shop, {
      origin: 'http://evil.localhost:1',
      token: user.tokens.accessToken,
    });

    expect(await live.next(() => true)).toMatchObject({ type: 'authenticated', method: 'bearer' });
    live.ws.close();
  });
});

describe('no credential in the URL (it lands in logs and history)', () => {
  it.each([
    ['access_token', (token: string) => `?access_token=${token}`],
    ['token', (token: string) => `?token=${token}`],
  ])(
    'refuses a token in the query (%s) with 400, even beside a good credential, and never logs it',
    async (_name, query) => {
      const refused = await refusedLiveCart(sut.shop, {
        path: `/api/cart/events${query(user.tokens.accessToken)}`,
        token: user.tokens.accessToken,
      });

      expectRefusal(refused, 400, 'bad_request');
      expect(String(refused.body?.['detail'])).toMatch(/query string/);
      expect(sut.shop.output()).not.toContain(user.tokens.accessToken);
    },
  );
});

describe('the handshake is refused with a real HTTP answer', () => {
  it('refuses a forged token (the attacker’s key under AUTH’s real kid) with 401 invalid_token', async () => {
    const forged = forgedToken();

    const refused = await refusedLiveCart(sut.shop, { token: forged });

    expectRefusal(refused, 401, 'invalid_token');
    expect(refused.headers['www-authenticate']).toBe(INVALID_TOKEN_CHALLENGE);
  });

  it('refuses a token that is not a JWT at all with 401 invalid_token', async () => {
    const refused = await refusedLiveCart(sut.shop, { token: 'not-a-token' });

    expectRefusal(refused, 401, 'invalid_token');
  });

  it('refuses an expired token with 401 invalid_token', async () => {
    const replica = await sut.startReplica('auth', { ACCESS_TOKEN_TTL: '1' });
    const { accessToken } = await loginWithToken(http(replica), user.user);
    const exp = Number(decodeJwt(accessToken).payload['exp']) * 1000;
    // Past exp and past the verifiers' clock tolerance.
    await sleep(Math.max(0, exp + (CLOCK_TOLERANCE_SECONDS + 1) * 1000 - Date.now()));

    const refused = await refusedLiveCart(sut.shop, { token: accessToken });

    expectRefusal(refused, 401, 'invalid_token');
  }, 30_000);

  it('refuses a DPoP-bound token offered as a subprotocol (no proof can come with it) with 401 invalid_token', async () => {
    const key = await generateDpopKey();
    const bound = await loginWithDpop(shop, key, user.user, '/api/auth');

    const refused = await refusedLiveCart(sut.shop, { token: bound.accessToken });

    expectRefusal(refused, 401, 'invalid_token');
    expect(String(refused.body?.['detail'])).toMatch(/bound to a key/);
  });

  it('refuses a handshake that does not offer cart.v1 with 400', async () => {
    const refused = await refusedLiveCart(sut.shop, {
      protocols: ['chat'],
      token: user.tokens.accessToken,
    });

    expectRefusal(refused, 400, 'bad_request');
  });

  it('answers a plain GET (no Upgrade) with 400, not a 500 or a proxied 404', async () => {
    const response = await shop.get('/api/cart/events', { bearer: user.tokens.accessToken });

    expectProblem(response, 400, 'bad_request');
  });
});

describe('limits', () => {
  it(`closes with 1009 a message above ${MAX_MESSAGE_BYTES} bytes`, async () => {
    const live = await openLiveCart(sut.shop, { token: user.tokens.accessToken });
    await live.next(() => true);

    live.send({ type: 'auth', token: 'x'.repeat(MAX_MESSAGE_BYTES + 1) });

    expect((await live.closed).code).toBe(1009);
  });

  it('closes with 1003 a binary message, and with 1008 a message that is not the protocol’s', async () => {
    const binary = await openLiveCart(sut.shop, { token: user.tokens.accessToken });
    const garbled = await openLiveCart(sut.shop, { token: user.tokens.accessToken });

    binary.ws.send(Buffer.from([1, 2, 3]));
    garbled.send('{"type":"subscribe","cart":"someone-else"}');

    expect((await binary.closed).code).toBe(1003);
    expect((await garbled.closed).code).toBe(1008);
  });

  it(`refuses a user's socket beyond ${MAX_SOCKETS} with 429 rate_limited, and takes one again once a socket closes`, async () => {
    const owner = await signUp(shop, '/api/auth');
    const open: LiveCart[] = [];
    for (let i = 0; i < MAX_SOCKETS; i++) {
      open.push(await openLiveCart(sut.shop, { token: owner.tokens.accessToken }));
    }

    const refused = await refusedLiveCart(sut.shop, { token: owner.tokens.accessToken });
    open[0].ws.close();
    await open[0].closed;
    const again = await openLiveCart(sut.shop, { token: owner.tokens.accessToken });

    expectRefusal(refused, 429, 'rate_limited');
    expect(again.protocol).toBe('cart.v1');
    for (const live of [...open, again]) live.ws.close();
  });

  it('closes with 4029 a socket authenticated by a first message beyond the cap', async () => {
    const owner = await signUp(shop, '/api/auth');
    const open: LiveCart[] = [];
    for (let i = 0; i < MAX_SOCKETS; i++) {
      open.push(await openLiveCart(sut.shop, { token: owner.tokens.accessToken }));
    }
    const late = await openLiveCart(sut.shop, {});

    late.send({ type: 'auth', token: owner.tokens.accessToken });

    expect((await late.closed).code).toBe(4029);
    for (const live of open) live.ws.close();
  });
});

describe('idle sockets are pinged (RFC 6455 §5.5.2)', () => {
  it('cuts a socket that does not answer a ping by the next one, and keeps one that does', async () => {
    const silent = await openLiveCart(sut.shop, {
      token: user.tokens.accessToken,
      autoPong: false,
    });
    const answering = await openLiveCart(sut.shop, { token: user.tokens.accessToken });
    let pings = 0;
    answering.ws.on('ping', () => pings++);

    const cut = await silent.closed;

    // Terminated, not closed: a client that does not answer gets no close frame (1006).
    expect(cut.code).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(answering.ws.readyState).toBe(answering.ws.OPEN);
    answering.ws.close();
  });
});

describe('a socket opened without a credential', () => {
  it(`is closed with 4000 when no auth message came within ${AUTH_TIMEOUT_MS} ms`, async () => {
    const opened = Date.now();
    const live = await openLiveCart(sut.shop, {});

    const closed = await live.closed;

    expect(closed.code).toBe(4000);
    expect(closed.at - opened).toBeGreaterThanOrEqual(AUTH_TIMEOUT_MS);
    expect(live.messages).toEqual([]);
  });

  it('is closed with 4005 when the first message carries a forged token, and is sent nothing', async () => {
    const forged = forgedToken();
    const live = await openLiveCart(sut.shop, {});

    live.send({ type: 'auth', token: forged });

    expect((await live.closed).code).toBe(4005);
    expect(live.messages).toEqual([]);
  });
});
