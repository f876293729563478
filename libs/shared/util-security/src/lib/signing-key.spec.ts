import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSigningKey } from './signing-key';

describe(loadOrCreateSigningKey.name, () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-signing-key-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates a key on first start and loads the same one afterwards', async () => {
    const file = join(dir, 'nested', 'key.pem');
    const first = await loadOrCreateSigningKey(file);
    const second = await loadOrCreateSigningKey(file);
    expect(second.kid).toBe(first.kid);
  });

  it('ends with one key when several replicas start at once', async () => {
    const file = join(dir, 'key.pem');
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateSigningKey(file)));
    expect(new Set(keys.map((key) => key.kid)).size).toBe(1);
  });

  it('keeps a key per file, so that each purpose has its own', async () => {
    const one = await loadOrCreateSigningKey(join(dir, 'one.pem'));
    const other = await loadOrCreateSigningKey(join(dir, 'other.pem'));
    expect(other.kid).not.toBe(one.kid);
  });

  it('publishes only the public half', async () => {
    const { jwk } = await loadOrCreateSigningKey(join(dir, 'key.pem'));
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });
});
