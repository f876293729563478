import { createHmac, hkdfSync } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';

/** What a key derived from KEY_ENCRYPTION_SECRET is for: one key per purpose. */
type KeyPurpose =
  | 'svt-account-pseudonym'
  | 'svt-device-cookie'
  | 'svt-oidc-cookies'
  | 'svt-oidc-login-form';

function deriveKey(secret: string, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, purpose, 'hmac-sha256 key', 32));
}

/**
 * Keyed hashes under keys derived from KEY_ENCRYPTION_SECRET, which every
 * auth replica shares. An email is never kept or logged as itself: counters
 * and audit lines name its pseudonym, an HMAC that a list of emails cannot be
 * matched against without the secret (an unsalted hash could be).
 */
@Injectable()
export class ServerKeys {
  private readonly pseudonymKey: Buffer;
  private readonly deviceKey: Buffer;
  private readonly loginFormKey: Buffer;
  /** The key the OpenID Provider signs its cookies with, base64url. */
  readonly oidcCookieKey: string;

  constructor(@Inject(AUTH_CONFIG) config: Pick<AuthConfig, 'KEY_ENCRYPTION_SECRET'>) {
    this.pseudonymKey = deriveKey(config.KEY_ENCRYPTION_SECRET, 'svt-account-pseudonym');
    this.deviceKey = deriveKey(config.KEY_ENCRYPTION_SECRET, 'svt-device-cookie');
    this.loginFormKey = deriveKey(config.KEY_ENCRYPTION_SECRET, 'svt-oidc-login-form');
    this.oidcCookieKey = deriveKey(config.KEY_ENCRYPTION_SECRET, 'svt-oidc-cookies').toString(
      'base64url',
    );
  }

  /** The pseudonym of a normalised email, hex. */
  pseudonym(email: string): string {
    return createHmac('sha256', this.pseudonymKey).update(email, 'utf8').digest('hex');
  }

  /** The audit form of an account: a prefix of its pseudonym, enough to tell attacks apart. */
  auditAccount(email: string): string {
    return this.pseudonym(email).slice(0, 16);
  }

  /** The MAC of a device cookie, base64url. */
  deviceMac(value: string): string {
    return createHmac('sha256', this.deviceKey).update(value, 'utf8').digest('base64url');
  }

  /**
   * The CSRF token of the login page of one interaction, base64url: a form
   * posted for another interaction, or forged without the key, is refused.
   */
  loginFormToken(interactionUid: string): string {
    return createHmac('sha256', this.loginFormKey)
      .update(interactionUid, 'utf8')
      .digest('base64url');
  }
}
