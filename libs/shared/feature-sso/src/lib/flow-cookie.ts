import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { CookieSerializeOptions } from '@fastify/cookie';

/** What a sign-in remembers between the redirect to AUTH and the callback. */
export interface SsoFlow {
  /** The `state` sent to AUTH: the callback must echo it (RFC 6749 §10.12). */
  readonly state: string;
  /** The `nonce` the ID token must carry (OpenID Connect Core §3.1.2.1). */
  readonly nonce: string;
  /** The PKCE `code_verifier` (RFC 7636); only its S256 challenge left the server. */
  readonly codeVerifier: string;
  /** The same-origin path to return to (see `safeReturnTo`). */
  readonly returnTo: string;
  /** Whether AUTH was asked with `prompt=none`: then `login_required` is an answer, not an error. */
  readonly promptNone: boolean;
}

/** How long a sign-in may take between the redirect and the callback. */
export const FLOW_LIFETIME_SECONDS = 600;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

/**
 * The flow state in a short-lived cookie instead of a server store: sealed
 * with AES-256-GCM (confidential, and any change or forgery fails to open)
 * under a key derived by HKDF from SSO_COOKIE_SECRET and the client id, so
 * each relying party has its own key. `HttpOnly; SameSite=Lax`: the
 * callback is a top-level GET from AUTH, which Lax lets through.
 *
 * On a secure-context origin it is `__Host-sso-flow`, which RFC 6265bis
 * §4.1.3.2 ties to `Secure; Path=/` and no `Domain`; elsewhere (plain http)
 * `sso-flow`, scoped to the callback path, the only route that reads it.
 */
export class FlowCookie {
  readonly name: string;
  private readonly key: Buffer;
  private readonly aad: Buffer;
  private readonly attributes: CookieSerializeOptions;

  constructor(options: {
    readonly secret: string;
    readonly clientId: string;
    readonly secure: boolean;
    readonly callbackPath: string;
  }) {
    if (options.secret.length < 32) {
      throw new TypeError('The flow cookie secret must be at least 32 characters');
    }
    this.name = options.secure ? '__Host-sso-flow' : 'sso-flow';
    this.key = Buffer.from(
      hkdfSync('sha256', options.secret, '', `svt sso-flow ${options.clientId}`, 32),
    );
    // Binds a sealed value to its cookie and client: one cannot stand in for another.
    this.aad = Buffer.from(`${this.name} ${options.clientId}`);
    this.attributes = {
      httpOnly: true,
      secure: options.secure,
      sameSite: 'lax',
      path: options.secure ? '/' : options.callbackPath,
    };
  }

  /** The cookie value for `flow`, valid for `FLOW_LIFETIME_SECONDS` from `now` (epoch ms). */
  seal(flow: SsoFlow, now: number): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(this.aad);
    const plaintext = JSON.stringify({ ...flow, exp: now + FLOW_LIFETIME_SECONDS * 1000 });
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** The flow in `value`, or null when it is absent, tampered with, forged or expired at `now`. */
  open(value: string | undefined, now: number): SsoFlow | null {
    if (!value?.startsWith(`${VERSION}.`)) return null;
    const bytes = Buffer.from(value.slice(VERSION.length + 1), 'base64url');
    if (bytes.length <= IV_BYTES + TAG_BYTES) return null;
    let plaintext: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(this.aad);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      plaintext = Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return null;
    }
    const flow = JSON.parse(plaintext) as Partial<SsoFlow> & { exp?: unknown };
    if (typeof flow.exp !== 'number' || now >= flow.exp) return null;
    const { state, nonce, codeVerifier, returnTo, promptNone } = flow;
    if (
      typeof state !== 'string' ||
      typeof nonce !== 'string' ||
      typeof codeVerifier !== 'string' ||
      typeof returnTo !== 'string' ||
      typeof promptNone !== 'boolean'
    ) {
      return null;
    }
    return { state, nonce, codeVerifier, returnTo, promptNone };
  }

  /** Attributes for setting it. */
  set(): CookieSerializeOptions {
    return { ...this.attributes, maxAge: FLOW_LIFETIME_SECONDS };
  }

  /** Attributes for clearing it: a flow is used once. */
  clear(): CookieSerializeOptions {
    return { ...this.attributes, maxAge: 0, expires: new Date(0) };
  }
}
