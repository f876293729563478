import { MemoryOidcStateStore } from '@svt/shared/data-access-sessions';
import { oidcAdapterFor } from './oidc-adapter';

class AlreadyConsumedError extends Error {}

describe(oidcAdapterFor.name, () => {
  let store: MemoryOidcStateStore;
  let Adapter: ReturnType<typeof oidcAdapterFor>;

  beforeEach(() => {
    store = new MemoryOidcStateStore();
    Adapter = oidcAdapterFor(store, () => new AlreadyConsumedError('code already consumed'));
  });

  afterEach(() => store.close());

  it('keeps each model apart under the same id', async () => {
    await new Adapter('AuthorizationCode').upsert('x', { grantId: 'g1', kind: 'code' }, 60);
    await new Adapter('AccessToken').upsert('x', { grantId: 'g1', kind: 'token' }, 60);
    expect(await new Adapter('AuthorizationCode').find('x')).toMatchObject({ kind: 'code' });
    expect(await new Adapter('AccessToken').find('x')).toMatchObject({ kind: 'token' });
  });

  it('consumes a code once, and refuses the second of two racing redemptions', async () => {
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('code-1', { grantId: 'g1' }, 60);
    const outcomes = await Promise.allSettled([codes.consume('code-1'), codes.consume('code-1')]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected');
    expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyConsumedError);
  });

  it('revokes the grant a replayed code came from, and only that grant', async () => {
    const codes = new Adapter('AuthorizationCode');
    const tokens = new Adapter('AccessToken');
    await codes.upsert('code-1', { grantId: 'g1' }, 60);
    await tokens.upsert('token-1', { grantId: 'g1' }, 600);
    await tokens.upsert('token-2', { grantId: 'g2' }, 600);
    await codes.consume('code-1');
    await expect(codes.consume('code-1')).rejects.toBeInstanceOf(AlreadyConsumedError);
    expect(await tokens.find('token-1')).toBeUndefined();
    expect(await tokens.find('token-2')).toBeDefined();
  });

  it('stores without expiry when oidc-provider gives none', async () => {
    await new Adapter('Client').upsert('c', { name: 'x' }, 0);
    expect(await new Adapter('Client').find('c')).toMatchObject({ name: 'x' });
  });
});
