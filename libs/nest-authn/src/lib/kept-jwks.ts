import type { RemoteJwksOptions } from '@svt/shared/feature-authn';
import { RemoteJwks } from '@svt/shared/feature-authn';

/** Until the first load works: soon, as tokens cannot be verified meanwhile. */
const RETRY_MS = 1_000;

/**
 * `RemoteJwks` at any URL (`RemoteJwks.start` takes an origin and serves its
 * `/.well-known/jwks.json`), loaded at once and refreshed in the background:
 * every second until the first load, then every `refreshIntervalMs`.
 */
export class KeptJwks extends RemoteJwks {
  private keeping: NodeJS.Timeout | null = null;
  private readonly refreshEveryMs: number;

  constructor(url: string, options: RemoteJwksOptions) {
    super(url, options);
    this.refreshEveryMs = options.refreshIntervalMs ?? 30_000;
  }

  static keep(url: string, options: RemoteJwksOptions): KeptJwks {
    const jwks = new KeptJwks(url, options);
    jwks.schedule(0);
    return jwks;
  }

  override close(): void {
    if (this.keeping) clearTimeout(this.keeping);
    this.keeping = null;
    super.close();
  }

  private schedule(delayMs: number): void {
    this.keeping = setTimeout(() => {
      void this.refresh()
        .catch(() => undefined)
        .finally(() => {
          if (this.keeping === null) return;
          this.schedule(this.isReady() ? this.refreshEveryMs : RETRY_MS);
        });
    }, delayMs);
    // Never what keeps the process alive.
    this.keeping.unref();
  }
}
