import type { KeyObject } from 'node:crypto';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SigningKeyRecord, SigningKeyRepository } from '@svt/auth/data-access';
import { SIGNING_KEY_REPOSITORY } from '@svt/auth/data-access';
import type { KeySource, PublicJwk } from '@svt/shared/feature-authn';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import { AUTH_CONFIG } from './auth.tokens';
import type { AuthConfig } from './auth.config';
import { seal, unseal } from './key-sealing';

interface LoadedKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: PublicJwk;
}

const ALGORITHM = 'ES256';

/**
 * The access-token signing keys. The first start generates one and stores it
 * (private half sealed), so restarts and replicas sign and verify with the
 * same keys. The newest active key signs; all active keys are published.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, KeySource {
  private readonly logger = new Logger(SigningKeysService.name);
  private keys: LoadedKey[] = [];
  private lastReload = 0;

  constructor(
    @Inject(SIGNING_KEY_REPOSITORY) private readonly repository: SigningKeyRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    if (this.keys.length === 0) {
      await this.repository.insert(this.generate());
      await this.reload();
      this.logger.log(`Generated signing key ${this.current().kid}`);
    }
  }

  /** The key that signs new tokens. */
  current(): LoadedKey {
    const [newest] = this.keys;
    if (!newest) throw new TypeError('signing keys are not loaded yet');
    return newest;
  }

  /** Public keys only: `kty`, `crv`, `x`, `y`, `kid`, `alg`, `use`. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: this.keys.map((key) => key.jwk) };
  }

  async find(kid: string): Promise<KeyObject | null> {
    const known = this.keys.find((key) => key.kid === kid);
    if (known) return known.publicKey;
    // Another replica may have added a key; look again, at most every 10 s.
    if (this.clock.now() - this.lastReload > 10_000) await this.reload();
    return this.keys.find((key) => key.kid === kid)?.publicKey ?? null;
  }

  isReady(): boolean {
    return this.keys.length > 0;
  }

  private async reload(): Promise<void> {
    this.lastReload = this.clock.now();
    const records = await this.repository.listActive();
    this.keys = records.map((record) => this.load(record));
  }

  private load(record: SigningKeyRecord): LoadedKey {
    const privateKey = createPrivateKey(
      unseal(record.sealedPrivateKey, this.config.KEY_ENCRYPTION_SECRET),
    );
    return {
      kid: record.kid,
      privateKey,
      publicKey: createPublicKey(privateKey),
      jwk: JSON.parse(record.publicJwk) as PublicJwk,
    };
  }

  private generate(): SigningKeyRecord {
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
      retiredAt: null,
    };
  }
}

/** RFC 7638 JWK thumbprint of an EC public key: a kid that names the key itself. */
function thumbprint({ crv, x, y }: { crv: string; x: string; y: string }): string {
  const canonical = JSON.stringify({ crv, kty: 'EC', x, y });
  return createHash('sha256').update(canonical).digest('base64url');
}
