import { generateKeyPairSync } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import { Global, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { sign } from 'jsonwebtoken';
import {
  DENYLIST,
  MemoryDenylist,
  MemoryReplayCache,
  MemorySessionStore,
  REPLAY_CACHE,
  SESSION_STORE,
} from '@svt/shared/data-access-sessions';
import { SessionCookie } from '@svt/shared/feature-authn';
import { RELYING_PARTIES } from '@svt/shared/util-config';
import { ProblemFilter } from '@svt/shared/util-http';
import { CLOCK, sha256Hex } from '@svt/shared/util-security';
import { acceptFormsOn } from './form-body';
import { BACKCHANNEL_LOGOUT_EVENT } from './logout-token';
import type { SsoCallbackResult } from './sso-client';
import { SsoClient } from './sso-client';
import { ssoFormPaths } from './sso-form-paths';
import { SsoModule } from './sso.module';
import { ssoOptions } from './sso.options';

const CART = 'http://cart.localhost:8082';
const AUTH = 'http://auth.localhost:8081';
const party = RELYING_PARTIES.cart;
const END_SESSION = `${AUTH}/oidc/session/end?client_id=cart`;

/**
 * The relying party's routes in a JSON-only app, as CART runs them, with
 * the OpenID client faked (no provider here) and AUTH's JWKS served on a
 * port of its own for the logout tokens.
 */
describe('the relying party routes', () => {
  const authKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let jwksServer: Server;
  let authUrl: string;
  let dir: string;
  let app: NestFastifyApplication;
  let sessions: MemorySessionStore;
  let denylist: MemoryDenylist;
  let finish: jest.Mock<Promise<SsoCallbackResult>>;
  const sessionCookie = new SessionCookie(CART, { sameSite: 'lax' });

  beforeAll(async () => {
    const jwk = authKey.publicKey.export({ format: 'jwk' }) as JsonWebKey;
    jwksServer = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [{ ...jwk, kid: 'auth-1', alg: 'ES256', use: 'sig' }] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    authUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => jwksServer.close(resolve)));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-sso-'));
    sessions = new MemorySessionStore();
    denylist = new MemoryDenylist();
    finish = jest.fn();
    @Global()
    @Module({
      providers: [
        { provide: SESSION_STORE, useValue: sessions },
        { provide: DENYLIST, useValue: denylist },
        { provide: REPLAY_CACHE, useValue: new MemoryReplayCache() },
        { provide: CLOCK, useValue: { now: () => Date.now() } },
      ],
      exports: [SESSION_STORE, DENYLIST, REPLAY_CACHE, CLOCK],
    })
    class SharedStateModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        SharedStateModule,
        SsoModule.forRoot(
          ssoOptions(
            {
              AUTH_ORIGIN: AUTH,
              AUTH_URL: authUrl,
              SSO_COOKIE_SECRET: 'a-test-secret-of-at-least-32-characters',
              SESSION_TTL: 3600,
              SESSION_IDLE_TTL: 600,
              DATA_DIR: dir,
            },
            { party, origin: CART, sessionCookie },
          ),
        ),
      ],
    })
      .overrideProvider(SsoClient)
      .useValue({
        authorizationUrl: async (flow: { state: string }) =>
          new URL(`${AUTH}/oidc/auth?state=${flow.state}`),
        finish,
        endSessionUrl: async () => END_SESSION,
      })
      .compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
      bodyParser: false,
    });
    const fastify = app.getHttpAdapter().getInstance();
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) =>
      done(null, JSON.parse(body as string)),
    );
    acceptFormsOn(app, ssoFormPaths(party));
    await app.register(fastifyCookie);
    app.useGlobalFilters(new ProblemFilter());
    await app.init();
    await fastify.ready();
  });

  afterEach(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function startSignIn(query = ''): Promise<{ state: string; flowCookie: string }> {
    const response = await app.inject({ method: 'GET', url: `${party.loginPath}${query}` });
    expect(response.statusCode).toBe(302);
    const flow = response.cookies.find((cookie) => cookie.name === '__Host-sso-flow');
    return {
      state: new URL(response.headers.location as string).searchParams.get('state') as string,
      flowCookie: flow?.value as string,
    };
  }

  async function signIn(previousSecret?: string): Promise<{ secret: string }> {
    const { flowCookie, state } = await startSignIn();
    finish.mockResolvedValueOnce({ kind: 'signed-in', userId: 'user-1', ssoSid: 'auth-sid-1' });
    const response = await app.inject({
      method: 'GET',
      url: `${party.callbackPath}?code=c&state=${state}`,
      cookies: {
        '__Host-sso-flow': flowCookie,
        ...(previousSecret ? { [sessionCookie.name]: previousSecret } : {}),
      },
    });
    const cookie = response.cookies.find((c) => c.name === sessionCookie.name);
    return { secret: cookie?.value as string };
  }

  function logoutToken(claims: Record<string, unknown> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    return sign(
      {
        iss: AUTH,
        aud: 'cart',
        iat: now,
        exp: now + 120,
        jti: `jti-${Math.random()}`,
        sub: 'user-1',
        sid: 'auth-sid-1',
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
        ...claims,
      },
      authKey.privateKey,
      { algorithm: 'ES256', keyid: 'auth-1', header: { alg: 'ES256', typ: 'logout+jwt' } },
    );
  }

  function postLogoutToken(token: string) {
    return app.inject({
      method: 'POST',
      url: party.backchannelLogoutPath,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ logout_token: token }).toString(),
    });
  }

  describe(`GET ${party.loginPath}`, () => {
    it('redirects to AUTH with a sealed flow cookie, HttpOnly and SameSite=Lax', async () => {
      const response = await app.inject({ method: 'GET', url: party.loginPath });
      expect(response.statusCode).toBe(302);
      expect(response.headers.location).toMatch(/^http:\/\/auth\.localhost:8081\/oidc\/auth\?/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.cookies).toEqual([
        expect.objectContaining({
          name: '__Host-sso-flow',
          httpOnly: true,
          sameSite: 'Lax',
          secure: true,
          path: '/',
          maxAge: 600,
        }),
      ]);
    });
  });

  describe(`GET ${party.callbackPath}`, () => {
    it('starts a session in the shared store and sets the session cookie', async () => {
      const { flowCookie, state } = await startSignIn('?return_to=/cart%3Fx%3D1');
      finish.mockResolvedValueOnce({ kind: 'signed-in', userId: 'user-1', ssoSid: 'auth-sid-1' });
      const response = await app.inject({
        method: 'GET',
        url: `${party.callbackPath}?code=c&state=${state}&iss=${AUTH}`,
        cookies: { '__Host-sso-flow': flowCookie },
      });
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe('/cart?x=1');
      expect(finish).toHaveBeenCalledWith(
        `?code=c&state=${state}&iss=${AUTH}`,
        expect.objectContaining({ state, returnTo: '/cart?x=1', promptNone: false }),
      );
      const cookie = response.cookies.find((c) => c.name === '__Host-Http-sid');
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
      const session = await sessions.find(sha256Hex(cookie?.value as string));
      expect(session).toMatchObject({ userId: 'user-1', credentialVersion: 0 });
      expect(session?.ssoSid).toBe('auth-sid-1');
      // The flow is used once.
      expect(response.cookies).toContainEqual(
        expect.objectContaining({ name: '__Host-sso-flow', value: '' }),
      );
    });

    it('ends the session the browser had before (no fixation)', async () => {
      const first = await signIn();
      const second = await signIn(first.secret);
      expect(second.secret).not.toBe(first.secret);
      await expect(sessions.find(sha256Hex(first.secret))).resolves.toBeNull();
    });

    it('answers sso_failed without the flow cookie', async () => {
      const response = await app.inject({ method: 'GET', url: `${party.callbackPath}?code=c` });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'sso_failed' });
      expect(finish).not.toHaveBeenCalled();
    });

    it('sends the browser back marked signed_out after a silent sign-in found nobody', async () => {
      const { flowCookie } = await startSignIn('?prompt=none&return_to=/');
      finish.mockResolvedValueOnce({ kind: 'signed-out' });
      const response = await app.inject({
        method: 'GET',
        url: `${party.callbackPath}?error=login_required`,
        cookies: { '__Host-sso-flow': flowCookie },
      });
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe('/?sso=signed_out');
      expect(response.cookies.map((c) => c.name)).not.toContain('__Host-Http-sid');
    });

    it.each([
      [{ kind: 'denied' }, 403, 'sso_denied'],
      [{ kind: 'failed', reason: 'state' }, 400, 'sso_failed'],
    ] as const)('answers %j with %i %s', async (result, status, code) => {
      const { flowCookie } = await startSignIn();
      finish.mockResolvedValueOnce(result);
      const response = await app.inject({
        method: 'GET',
        url: `${party.callbackPath}?error=x`,
        cookies: { '__Host-sso-flow': flowCookie },
      });
      expect(response.statusCode).toBe(status);
      expect(response.json()).toMatchObject({ code });
    });
  });

  describe(`POST ${party.backchannelLogoutPath}`, () => {
    it('ends the sessions of that AUTH session and denies their handles', async () => {
      const { secret } = await signIn();
      const session = await sessions.find(sha256Hex(secret));
      const response = await postLogoutToken(logoutToken());
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      await expect(sessions.find(sha256Hex(secret))).resolves.toBeNull();
      await expect(denylist.isDenied(String(session?.handle))).resolves.toBe(true);
    });

    it('leaves the sessions of another AUTH session alone', async () => {
      const { secret } = await signIn();
      expect((await postLogoutToken(logoutToken({ sid: 'other' }))).statusCode).toBe(200);
      await expect(sessions.find(sha256Hex(secret))).resolves.not.toBeNull();
    });

    it('refuses a replayed token with 400 invalid_request', async () => {
      const token = logoutToken();
      expect((await postLogoutToken(token)).statusCode).toBe(200);
      const replay = await postLogoutToken(token);
      expect(replay.statusCode).toBe(400);
      expect(replay.json()).toEqual({ error: 'invalid_request' });
    });

    it.each([
      ['a token for another client', () => logoutToken({ aud: 'shop' })],
      ['a token with a nonce', () => logoutToken({ nonce: 'n' })],
      ['garbage', () => 'garbage'],
    ])('refuses %s with 400 invalid_request', async (_case, token) => {
      const response = await postLogoutToken(token());
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_request' });
    });

    it('refuses a body without logout_token with 400', async () => {
      const response = await app.inject({
        method: 'POST',
        url: party.backchannelLogoutPath,
        headers: { 'content-type': 'application/json' },
        payload: { logout_token: logoutToken() },
      });
      expect(response.statusCode).toBe(400);
    });
  });

  describe('form bodies elsewhere', () => {
    it('are still refused with 415', async () => {
      const response = await app.inject({
        method: 'POST',
        url: party.loginPath,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'a=b',
      });
      expect(response.statusCode).toBe(415);
    });
  });

  describe(`POST ${party.logoutPath}`, () => {
    it("ends the session, clears the cookie and goes to AUTH's end-session endpoint", async () => {
      const { secret } = await signIn();
      const session = await sessions.find(sha256Hex(secret));
      const response = await app.inject({
        method: 'POST',
        url: party.logoutPath,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: CART },
        cookies: { '__Host-Http-sid': secret },
        payload: new URLSearchParams({ csrf_token: String(session?.csrfToken) }).toString(),
      });
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe(END_SESSION);
      expect(response.cookies).toContainEqual(
        expect.objectContaining({ name: '__Host-Http-sid', value: '' }),
      );
      await expect(sessions.find(sha256Hex(secret))).resolves.toBeNull();
    });

    it('refuses a wrong CSRF token and keeps the session', async () => {
      const { secret } = await signIn();
      const response = await app.inject({
        method: 'POST',
        url: party.logoutPath,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: CART },
        cookies: { '__Host-Http-sid': secret },
        payload: 'csrf_token=wrong',
      });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'csrf_failed' });
      await expect(sessions.find(sha256Hex(secret))).resolves.not.toBeNull();
    });

    it('refuses another Origin', async () => {
      const response = await app.inject({
        method: 'POST',
        url: party.logoutPath,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'http://evil.example',
        },
        payload: 'csrf_token=x',
      });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden_origin' });
    });
  });

  describe(`GET ${party.jwksPath}`, () => {
    it("serves the client key's public half only", async () => {
      const response = await app.inject({ method: 'GET', url: party.jwksPath });
      expect(response.statusCode).toBe(200);
      const { keys } = response.json() as { keys: Record<string, unknown>[] };
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(keys[0]).not.toHaveProperty('d');
    });
  });
});
