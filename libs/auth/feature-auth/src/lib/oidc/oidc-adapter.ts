import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OidcPayload, OidcStateStore } from '@svt/shared/data-access-sessions';

/** What the adapter throws when two requests race to spend one code: an `invalid_grant` of oidc-provider. */
export type AlreadyConsumed = () => Error;

/**
 * oidc-provider's storage adapter over the project's `OidcStateStore` (Redis,
 * the shared SQLite file, or memory), one class per store: oidc-provider
 * makes an instance per model (`new Adapter('Session')`).
 *
 * oidc-provider reads a code, sees it unspent, then marks it spent; two
 * exchanges of one code in parallel would both pass that read. The store's
 * `consume` is atomic, so the one that loses is refused here as a replay and
 * the grant it came from is revoked (RFC 9700 §4.2.4: a replayed code revokes
 * what it issued).
 */
export function oidcAdapterFor(
  store: OidcStateStore,
  alreadyConsumed: AlreadyConsumed,
): new (model: string) => Adapter {
  return class ProjectStoreAdapter implements Adapter {
    constructor(private readonly model: string) {}

    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      return store.upsert(this.model, id, payload as OidcPayload, expiresIn || undefined);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return (await store.find(this.model, id)) as AdapterPayload | undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return (await store.findByUid(this.model, uid)) as AdapterPayload | undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return (await store.findByUserCode(this.model, userCode)) as AdapterPayload | undefined;
    }

    async consume(id: string): Promise<void> {
      if (await store.consume(this.model, id)) return;
      const spent = await store.find(this.model, id);
      if (typeof spent?.grantId === 'string') await store.revokeByGrantId(spent.grantId);
      throw alreadyConsumed();
    }

    destroy(id: string): Promise<void> {
      return store.destroy(this.model, id);
    }

    revokeByGrantId(grantId: string): Promise<void> {
      return store.revokeByGrantId(grantId);
    }
  };
}
