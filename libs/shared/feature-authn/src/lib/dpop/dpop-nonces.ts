import { createHmac, hkdfSync } from 'node:crypto';
import { safeEqual } from '@svt/shared/util-security';

/** A nonce is issued for one window and accepted through the next: 60 to 120 s. */
const WINDOW_MS = 60_000;

/**
 * Server nonces for DPoP proofs (RFC 9449 §8, §9), without state: the nonce
 * of a window is an HMAC of the window's number under a key derived from a
 * secret every replica of the service shares, so a nonce issued by one
 * replica is good at all of them, and for at most two windows. A proof made
 * in advance by script that ran in the page is then dead within two minutes,
 * however its `iat` was set.
 */
export class DpopNonces {
  private readonly key: Buffer;

  constructor(
    secret: string,
    /** Names the service, so one service's nonces are not another's. */
    service: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, service, 'svt dpop nonce', 32));
  }

  /** The nonce of the current window, for `DPoP-Nonce`. */
  current(): string {
    return this.nonceOf(this.window());
  }

  /** Whether `nonce` is the current window's or the previous one's. */
  isValid(nonce: string): boolean {
    const window = this.window();
    return safeEqual(nonce, this.nonceOf(window)) || safeEqual(nonce, this.nonceOf(window - 1));
  }

  private window(): number {
    return Math.floor(this.now() / WINDOW_MS);
  }

  private nonceOf(window: number): string {
    const mac = createHmac('sha256', this.key).update(String(window)).digest('base64url');
    return `${window.toString(36)}.${mac.slice(0, 22)}`;
  }
}
