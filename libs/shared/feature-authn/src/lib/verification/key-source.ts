import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { request } from 'undici';
import { jwksFetchDuration } from '../authn.metrics';

/** Where a verifier finds the public key for a `kid`. */
export interface KeySource {
  /** The key, or `null` when the kid is unknown. */
  find(kid: string): Promise<KeyObject | null>;
  /**
   * Whether `kid` is published now, answered from memory: a verified-token
   * cache asks it on every hit, so a withdrawn key ends its tokens at once.
   */
  has(kid: string): boolean;
  /** Whether at least one key is loaded (readiness). */
  isReady(): boolean;
  /**
   * Whether the keys are older than the source may keep them without a
   * successful refresh; verification then fails closed with 503.
   */
  isStale?(): boolean;
}

/** A JSON Web Key as published in a JWKS. */
export interface PublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: string;
  readonly use: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
}

export interface RemoteJwksOptions {
  /** The only algorithm accepted; keys published for another are ignored. */
  readonly algorithm: 'ES256';
  /**
   * Background refresh period (default 30 s). The issuer publishes a new key
   * well before it signs with it, so this is how a rotation arrives.
   */
  readonly refreshIntervalMs?: number;
  readonly timeoutMs?: number;
  /**
   * How long the keys may be kept when refreshes fail (default: as long as
   * it takes). Past it they are stale: `has` and `isReady` say no and
   * verification answers 503, rather than trust a key set the issuer may
   * have changed since. Picked at least as long as an access token lives,
   * every token issued before an issuer outage stays usable for its life.
   */
  readonly maxStaleMs?: number;
}

/**
 * Public keys fetched from a JWKS URL, imported once into KeyObjects and kept
 * in memory. Once loaded, a request never causes a fetch: an unknown `kid` is
 * simply unknown (RFC 8725 §3.10 — what a token names must not make the
 * verifier go out; random kids cannot turn requests into a flood of fetches).
 * New keys arrive with the periodic refresh, before they sign anything.
 */
export class RemoteJwks implements KeySource {
  private readonly logger = new Logger(RemoteJwks.name);
  private keys = new Map<string, KeyObject>();
  /** When the keys were last fetched successfully. */
  private loadedAt = 0;
  private inflight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Logged once per outage, not on every retry. */
  private failing = false;

  constructor(
    private readonly url: string,
    private readonly options: RemoteJwksOptions,
  ) {}

  /** The keys a service publishes at `<baseUrl>/.well-known/jwks.json`, loading in the background. */
  static start(baseUrl: string, options: RemoteJwksOptions): RemoteJwks {
    const jwks = new RemoteJwks(new URL('/.well-known/jwks.json', baseUrl).href, options);
    jwks.begin();
    return jwks;
  }

  async find(kid: string): Promise<KeyObject | null> {
    const known = this.keys.get(kid);
    if (known || this.keys.size > 0) return known ?? null;
    // Not loaded yet (the issuer started late): join the configured fetch,
    // single-flight, rather than refuse tokens that will verify in a moment.
    await this.refresh().catch(() => undefined);
    return this.keys.get(kid) ?? null;
  }

  has(kid: string): boolean {
    return this.keys.has(kid) && !this.isStale();
  }

  isReady(): boolean {
    return this.keys.size > 0 && !this.isStale();
  }

  isStale(): boolean {
    const { maxStaleMs } = this.options;
    return (
      maxStaleMs !== undefined && this.keys.size > 0 && Date.now() - this.loadedAt > maxStaleMs
    );
  }

  /** Loads now, retrying every second until it works, then refreshes periodically. */
  private begin(): void {
    const tick = (): void => {
      const delay = this.isReady() ? (this.options.refreshIntervalMs ?? 30_000) : 1_000;
      this.timer = setTimeout(
        () =>
          void this.refresh()
            .catch(() => undefined)
            .finally(tick),
        delay,
      );
      this.timer.unref();
    };
    void this.refresh()
      .catch(() => undefined)
      .finally(tick);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Fetches the JWKS once; concurrent callers share the same fetch. */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    const end = jwksFetchDuration.startTimer();
    try {
      const response = await request(this.url, {
        headersTimeout: this.options.timeoutMs ?? 2_000,
        bodyTimeout: this.options.timeoutMs ?? 2_000,
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new Error(`JWKS answered ${response.statusCode}`);
      }
      const body = (await response.body.json()) as { keys?: unknown };
      this.keys = importJwks(body.keys, this.options.algorithm);
      this.loadedAt = Date.now();
      end({ outcome: 'ok' });
      if (this.failing) this.logger.log(`Loaded JWKS from ${this.url} again`);
      this.failing = false;
    } catch (error) {
      end({ outcome: 'error' });
      if (!this.failing) {
        this.logger.warn(
          `Cannot load JWKS from ${this.url} (retrying): ${(error as Error).message}`,
        );
      }
      this.failing = true;
      throw error;
    }
  }
}

/** Imports the usable signing keys of a JWKS `keys` array. */
export function importJwks(keys: unknown, algorithm: 'ES256'): Map<string, KeyObject> {
  const imported = new Map<string, KeyObject>();
  if (!Array.isArray(keys)) return imported;
  for (const jwk of keys as Partial<PublicJwk>[]) {
    if (
      typeof jwk.kid !== 'string' ||
      jwk.alg !== algorithm ||
      jwk.use !== 'sig' ||
      jwk.kty !== 'EC' ||
      jwk.crv !== 'P-256' ||
      'd' in jwk
    ) {
      continue;
    }
    imported.set(
      jwk.kid,
      createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' }),
    );
  }
  return imported;
}
