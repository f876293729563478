import { KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { HttpClient } from '@svt/shared/testing';
import type { AnswerHeaders } from './load';
import {
  BOUND_COOKIE,
  describeResponse,
  loginWithSession,
  parseSetCookies,
  SESSION_COOKIE,
  signEs256Jwt,
} from '@svt/shared/testing';

/** The DBSC header fields (W3C DBSC draft, docs in dbsc-headers.ts at AUTH). */
const REGISTRATION_HEADER = 'secure-session-registration';
const CHALLENGE_HEADER = 'secure-session-challenge';
const RESPONSE_HEADER = 'secure-session-response';
const SESSION_ID_HEADER = 'sec-secure-session-id';

/**
 * The two strings of `Secure-Session-Challenge: "<challenge>";id="<session id>"`.
 * AUTH's challenges and ids are base64url, so no string holds an escape.
 */
export function parseChallenge(
  field: string | undefined,
): { challenge: string; id: string } | undefined {
  const match = /^"([^"\\]+)";id="([^"\\]+)"$/.exec(field?.trim() ?? '');
  return match ? { challenge: match[1] as string, id: match[2] as string } : undefined;
}

const headerOf = (headers: AnswerHeaders, name: string): string[] => {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return entry === undefined ? [] : typeof entry === 'string' ? [entry] : [...entry];
};

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
    const offered = /challenge="([^"]+)"/.exec(login.response.headers[REGISTRATION_HEADER] ?? '');
    if (!offered?.[1]) {
      throw new Error('bench: the session login offered no device binding (DBSC_ENABLED=false?)');
    }
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const proof = await new SignJWT({ jti: offered[1] })
      .setProtectedHeader({ alg: 'ES256', typ: 'dbsc+jwt', jwk: await exportJWK(publicKey) })
      .sign(privateKey);
    const response = await client.post(`${basePath}/session/dbsc/registration`, undefined, {
      jar: login.jar,
      headers: { [RESPONSE_HEADER]: `"${proof}"` },
    });
    const next = parseChallenge(response.headers[CHALLENGE_HEADER]);
    const bound = login.jar.get(BOUND_COOKIE);
    if (response.status !== 200 || !next || !bound) {
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
    const next = parseChallenge(headerOf(headers, CHALLENGE_HEADER)[0]);
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
    const next = parseChallenge(response.headers[CHALLENGE_HEADER]);
    if (response.status !== 403 || next?.id !== this.id) {
      throw new Error(
        `bench: a DBSC refresh without a proof answered ${describeResponse(response)}`,
      );
    }
    this.challenge = next.challenge;
  }

  /** The session an answer's challenge names, if any. */
  static answeredId(headers: AnswerHeaders): string | undefined {
    return parseChallenge(headerOf(headers, CHALLENGE_HEADER)[0])?.id;
  }
}
