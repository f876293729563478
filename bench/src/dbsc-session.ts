import { KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { HttpClient } from '@svt/shared/testing';
import type { AnswerHeaders } from './load';
import {
  BOUND_COOKIE,
  CHALLENGE_HEADER,
  challengeOf,
  describeResponse,
  loginWithSession,
  parseChallengeHeader,
  parseSetCookies,
  registrationOffer,
  RESPONSE_HEADER,
  SESSION_COOKIE,
  SESSION_ID_HEADER,
  signEs256Jwt,
} from '@svt/shared/testing';
import type { DbscChallenge } from '@svt/shared/testing';

const headerOf = (headers: AnswerHeaders, name: string): string[] => {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return entry === undefined ? [] : typeof entry === 'string' ? [entry] : [...entry];
};

/** The challenge an answer of the load carries, if any (the first of the list). */
function challengeIn(headers: AnswerHeaders): DbscChallenge | undefined {
  const field = headerOf(headers, CHALLENGE_HEADER)[0];
  return field === undefined ? undefined : parseChallengeHeader(field)[0];
}

/**
 * A cookie session bound to a key as a browser binds it (DBSC): logged in,
 * registered with a proof over the login's challenge, then refreshed with a
 * proof over the challenge each answer hands out. Its key signs
 * synchronously, as autocannon's `setupRequest` needs.
 */
export class DeviceBoundSession {
  private constructor(
    /** The session's handle, `Sec-Secure-Session-Id`. */
    readonly id: string,
    private readonly key: KeyObject,
    private readonly sessionCookie: string,
    private boundCookie: string,
    private challenge: string,
  ) {}

  /** Logs in with a cookie session at `basePath` and binds it to a new key. */
  static async register(
    client: HttpClient,
    credentials: { email: string; password: string },
    basePath = '/auth',
  ): Promise<DeviceBoundSession> {
    const login = await loginWithSession(client, credentials, basePath);
    const offered = registrationOffer(login.response);
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const proof = await new SignJWT({ jti: offered.challenge })
      .setProtectedHeader({ alg: 'ES256', typ: 'dbsc+jwt', jwk: await exportJWK(publicKey) })
      .sign(privateKey);
    const response = await client.post(`${basePath}/session/dbsc/registration`, undefined, {
      jar: login.jar,
      headers: { [RESPONSE_HEADER]: `"${proof}"` },
    });
    const next = challengeOf(response);
    const bound = login.jar.get(BOUND_COOKIE);
    if (response.status !== 200 || next?.id === undefined || !bound) {
      throw new Error(`bench: DBSC registration answered ${describeResponse(response)}`);
    }
    return new DeviceBoundSession(
      next.id,
      KeyObject.from(privateKey),
      login.sessionId,
      bound,
      next.challenge,
    );
  }

  /** Both cookies, as the browser sends them with every request of the session. */
  get cookie(): string {
    return `${SESSION_COOKIE}=${this.sessionCookie}; ${BOUND_COOKIE}=${this.boundCookie}`;
  }

  /** The headers of a refresh, its proof signed now over the latest challenge. */
  refreshHeaders(): Record<string, string> {
    const proof = signEs256Jwt({ jti: this.challenge }, this.key, { typ: 'dbsc+jwt' });
    return {
      cookie: this.cookie,
      [SESSION_ID_HEADER]: `"${this.id}"`,
      [RESPONSE_HEADER]: `"${proof}"`,
    };
  }

  /**
   * Keeps what an answer to this session's refresh handed out: the next
   * challenge (a refused proof's 403 hands one out too) and a new bound cookie.
   */
  update(headers: AnswerHeaders): void {
    const next = challengeIn(headers);
    if (next?.id === this.id) this.challenge = next.challenge;
    const bound = parseSetCookies(headerOf(headers, 'set-cookie')).find(
      (c) => c.name === BOUND_COOKIE && c.value !== '',
    );
    if (bound) this.boundCookie = bound.value;
  }

  /**
   * Takes a new challenge from a refresh without a proof (a 403 that hands
   * one out): for a session whose last answer never came, its request still
   * in flight when a load stopped, so that its challenge may have been spent.
   */
  async resync(client: HttpClient, basePath = '/auth'): Promise<void> {
    const response = await client.post(`${basePath}/session/dbsc/refresh`, undefined, {
      headers: { cookie: this.cookie, [SESSION_ID_HEADER]: `"${this.id}"` },
    });
    const next = challengeOf(response);
    if (response.status !== 403 || next?.id !== this.id) {
      throw new Error(
        `bench: a DBSC refresh without a proof answered ${describeResponse(response)}`,
      );
    }
    this.challenge = next.challenge;
  }

  /** The session an answer's challenge names, if any. */
  static answeredId(headers: AnswerHeaders): string | undefined {
    return challengeIn(headers)?.id;
  }
}
