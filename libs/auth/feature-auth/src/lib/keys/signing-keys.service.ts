import type { KeyObject } from 'node:crypto';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SigningKeyRecord, SigningKeyRepository } from '@svt/auth/data-access';
import { SIGNING_KEY_REPOSITORY } from '@svt/auth/data-access';
import type { KeySource, PublicJwk } from '@svt/shared/feature-authn';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import { AuditLog } from '../shared/audit-log';
import { AUTH_CONFIG } from '../auth.tokens';
import type { AuthConfig } from '../auth.config';
import { seal, unseal } from './key-sealing';

interface LoadedKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: PublicJwk;
  readonly createdAt: number;
  readonly activatesAt: number;
}

const ALGORITHM = 'ES256';

/**
 * How often every replica reloads the key set and runs the schedule: every
 * 30 s, or a quarter of the activation delay when that is shorter, so each
 * replica signs with a new key soon after it activates.
 */
export function keyReloadIntervalMs(activationDelaySeconds: number): number {
  return Math.min(30_000, Math.max(1_000, (activationDelaySeconds * 1000) / 4));
}

/**
 * A key's life, so that rotation logs nobody out:
 * 1. published: in the JWKS from creation, signing nothing yet, for
 *    SIGNING_KEY_ACTIVATION_DELAY, long enough for every verifier's periodic
 *    JWKS refresh to have fetched it;
 * 2. signing: the newest key whose activation time has come;
 * 3. retiring: replaced, still published until every token it signed has
 *    expired (ACCESS_TOKEN_TTL plus clock skew after its successor took over);
 * 4. gone: deleted, private half included.
 */
export interface KeyTimeline {
  readonly signing: string | null;
  readonly published: readonly string[];
  readonly expired: readonly string[];
}

/** Sorts a key set into the phases above; `keys` newest activation first. */
export function keyTimeline(
  keys: readonly Pick<LoadedKey, 'kid' | 'activatesAt'>[],
  now: number,
  retireAfterMs: number,
): KeyTimeline {
  const signingIndex = keys.findIndex((key) => key.activatesAt <= now);
  const published: string[] = [];
  const expired: string[] = [];
  keys.forEach((key, index) => {
    const successor = keys[index - 1];
    const live =
      signingIndex === -1 ||
      index <= signingIndex ||
      (successor !== undefined && successor.activatesAt + retireAfterMs > now);
    (live ? published : expired).push(key.kid);
  });
  return { signing: signingIndex === -1 ? null : keys[signingIndex].kid, published, expired };
}

/**
 * The access-token signing keys. The first start generates one and stores it
 * (private half sealed), so restarts and replicas sign and verify with the
 * same keys. `rotate()` (the `rotate-signing-key` command, or the optional
 * SIGNING_KEY_ROTATION_INTERVAL schedule) adds the next one.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy, KeySource {
  private readonly logger = new Logger(SigningKeysService.name);
  private keys: LoadedKey[] = [];
  private timeline: KeyTimeline = { signing: null, published: [], expired: [] };
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(SIGNING_KEY_REPOSITORY) private readonly repository: SigningKeyRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    if (this.keys.length === 0) {
      // The very first key signs at once: no verifier can hold tokens of another yet.
      await this.repository.insert(this.generate(this.clock.now()));
      await this.reload();
      this.logger.log(`Generated signing key ${this.current().kid}`);
    }
    this.timer = setInterval(() => {
      this.maintain().catch((error: unknown) =>
        this.logger.warn(`Signing-key maintenance failed: ${(error as Error).message}`),
      );
    }, keyReloadIntervalMs(this.config.SIGNING_KEY_ACTIVATION_DELAY));
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The key that signs new tokens. */
  current(): LoadedKey {
    const key = this.keys.find((candidate) => candidate.kid === this.timeline.signing);
    if (!key) throw new TypeError('signing keys are not loaded yet');
    return key;
  }

  /** Public keys only (`kty`, `crv`, `x`, `y`, `kid`, `alg`, `use`): next, current and retiring. */
  jwks(): { keys: PublicJwk[] } {
    const published = new Set(this.timeline.published);
    return { keys: this.keys.filter((key) => published.has(key.kid)).map((key) => key.jwk) };
  }

  /** Never goes to the database for a kid a token names: keys arrive with the reload. */
  async find(kid: string): Promise<KeyObject | null> {
    if (!this.timeline.published.includes(kid)) return null;
    return this.keys.find((key) => key.kid === kid)?.publicKey ?? null;
  }

  /** The private half of a published key, for the OpenID Provider, which signs ID tokens itself. */
  privateKey(kid: string): KeyObject | null {
    if (!this.timeline.published.includes(kid)) return null;
    return this.keys.find((key) => key.kid === kid)?.privateKey ?? null;
  }

  has(kid: string): boolean {
    return this.timeline.published.includes(kid);
  }

  isReady(): boolean {
    return this.timeline.signing !== null;
  }

  /**
   * Adds the next signing key, published now and signing after
   * SIGNING_KEY_ACTIVATION_DELAY. Resolves to its kid and activation time.
   */
  async rotate(): Promise<{ kid: string; activatesAt: number }> {
    // Loading first proves KEY_ENCRYPTION_SECRET opens the stored keys before
    // a key sealed under another secret is written for every replica to choke on.
    await this.reload();
    // With no key yet, nothing can hold tokens of another: sign at once.
    const delay = this.keys.length === 0 ? 0 : this.config.SIGNING_KEY_ACTIVATION_DELAY * 1000;
    const record = this.generate(this.clock.now() + delay);
    await this.repository.insert(record);
    this.recordRotation(record);
    await this.reload();
    return { kid: record.kid, activatesAt: record.activatesAt };
  }

  /**
   * Emergency withdrawal of a compromised key: deleted at once, private half
   * included, so it leaves the JWKS at every replica's next reload and its
   * tokens are refused wherever that JWKS is next fetched. When it was the
   * key signing now, a new one signs from now on: verifiers learn it with
   * their next JWKS refresh and refuse its tokens until then, the price of
   * not waiting. Unlike `rotate`, tokens it signed die before their `exp`.
   * Rejects when no key has this kid.
   */
  async revoke(kid: string): Promise<{ kid: string; replacement: string | null }> {
    await this.reload();
    if (!this.keys.some((key) => key.kid === kid)) {
      throw new UnknownSigningKeyError(kid);
    }
    let replacement: string | null = null;
    if (this.timeline.signing === kid) {
      const record = this.generate(this.clock.now());
      await this.repository.insert(record);
      this.recordRotation(record);
      replacement = record.kid;
    }
    await this.repository.remove([kid]);
    this.audit.record('signing_key.revoked', { kid, replacement });
    await this.reload();
    return { kid, replacement };
  }

  /** Reloads the key set, runs the schedule, and deletes keys past retirement. */
  async maintain(): Promise<void> {
    const interval = this.config.SIGNING_KEY_ROTATION_INTERVAL * 1000;
    const now = this.clock.now();
    if (interval > 0 && Math.max(...this.keys.map((key) => key.createdAt)) + interval <= now) {
      const record = this.generate(now + this.config.SIGNING_KEY_ACTIVATION_DELAY * 1000);
      // Every replica runs the schedule; the conditional insert lets one key in.
      if (await this.repository.insertUnlessCreatedSince(record, now - interval)) {
        this.recordRotation(record);
      }
    }
    await this.reload();
    if (this.timeline.expired.length > 0) {
      await this.repository.remove(this.timeline.expired);
      this.logger.log(`Removed retired signing keys ${this.timeline.expired.join(', ')}`);
    }
  }

  private recordRotation(record: SigningKeyRecord): void {
    this.audit.record('signing_key.rotated', {
      kid: record.kid,
      activatesAt: new Date(record.activatesAt).toISOString(),
    });
  }

  private async reload(): Promise<void> {
    const records = await this.repository.listAll();
    this.keys = records.map((record) => this.load(record));
    this.timeline = keyTimeline(
      this.keys,
      this.clock.now(),
      (this.config.ACCESS_TOKEN_TTL + RETIREMENT_MARGIN_SECONDS) * 1000,
    );
  }

  private load(record: SigningKeyRecord): LoadedKey {
    let pem: string;
    try {
      pem = unseal(record.sealedPrivateKey, this.config.KEY_ENCRYPTION_SECRET);
    } catch {
      throw new Error(
        `Cannot open signing key ${record.kid}: KEY_ENCRYPTION_SECRET is not the secret it was sealed with`,
      );
    }
    const privateKey = createPrivateKey(pem);
    return {
      kid: record.kid,
      privateKey,
      publicKey: createPublicKey(privateKey),
      jwk: JSON.parse(record.publicJwk) as PublicJwk,
      createdAt: record.createdAt,
      activatesAt: record.activatesAt,
    };
  }

  private generate(activatesAt: number): SigningKeyRecord {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { crv, x, y } = publicKey.export({ format: 'jwk' });
    const kid = thumbprint({ crv: crv ?? 'P-256', x: x ?? '', y: y ?? '' });
    const jwk: PublicJwk = { kty: 'EC', crv, x, y, kid, alg: ALGORITHM, use: 'sig' };
    return {
      kid,
      alg: ALGORITHM,
      publicJwk: JSON.stringify(jwk),
      sealedPrivateKey: seal(
        privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        this.config.KEY_ENCRYPTION_SECRET,
      ),
      createdAt: this.clock.now(),
      activatesAt,
      retiredAt: null,
    };
  }
}

/** `revoke` named a kid that no stored key has. */
export class UnknownSigningKeyError extends Error {
  constructor(readonly kid: string) {
    super(`No signing key has the kid ${JSON.stringify(kid)}; the JWKS lists the published ones.`);
    this.name = 'UnknownSigningKeyError';
  }
}

/** Verifiers' clock tolerance (5 s) plus a margin, past the last token's `exp`. */
const RETIREMENT_MARGIN_SECONDS = 10;

/** RFC 7638 JWK thumbprint of an EC public key: a kid that names the key itself. */
function thumbprint({ crv, x, y }: { crv: string; x: string; y: string }): string {
  const canonical = JSON.stringify({ crv, kty: 'EC', x, y });
  return createHash('sha256').update(canonical).digest('base64url');
}
