import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { importJwks, RemoteJwks } from './key-source';

function publicJwk(kid: string): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
}

describe(importJwks.name, () => {
  it('keeps ES256 signing keys and drops keys of another algorithm, use or curve, and private ones', () => {
    const good = publicJwk('good');
    const keys = importJwks(
      [
        good,
        { ...publicJwk('rs'), alg: 'RS256' },
        { ...publicJwk('enc'), use: 'enc' },
        { ...publicJwk('p384'), crv: 'P-384' },
        { ...publicJwk('private'), d: 'secret' },
        'not a key',
      ],
      'ES256',
    );
    expect([...keys.keys()]).toEqual(['good']);
  });

  it('imports nothing from something that is not an array', () => {
    expect(importJwks({ keys: [] }, 'ES256').size).toBe(0);
  });
});

describe(RemoteJwks.name, () => {
  let server: Server;
  let published: Record<string, unknown>[];
  let fetches: number;
  let jwks: RemoteJwks;

  beforeEach(async () => {
    published = [];
    fetches = 0;
    server = createServer((_request, response) => {
      fetches += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    jwks.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const baseUrl = (): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  it('fetches again on every miss until keys are first loaded', async () => {
    jwks = new RemoteJwks(`${baseUrl()}/.well-known/jwks.json`, { algorithm: 'ES256' });
    await expect(jwks.find('k1')).resolves.toBeNull();
    published = [publicJwk('k1')];
    await expect(jwks.find('k1')).resolves.not.toBeNull();
    expect(jwks.isReady()).toBe(true);
    expect(fetches).toBe(2);
  });

  it('never fetches because a token names an unknown kid once keys are loaded', async () => {
    published = [publicJwk('k1')];
    jwks = new RemoteJwks(`${baseUrl()}/.well-known/jwks.json`, { algorithm: 'ES256' });
    await jwks.refresh();
    published = [publicJwk('k1'), publicJwk('k2')];
    const found = await Promise.all(
      ['k2', ...Array.from({ length: 20 }, (_, i) => `unknown-${i}`)].map((kid) => jwks.find(kid)),
    );
    expect(found.every((key) => key === null)).toBe(true);
    expect(fetches).toBe(1);
    await expect(jwks.find('k1')).resolves.not.toBeNull();
  });

  it('picks up a newly published kid with the periodic refresh', async () => {
    published = [publicJwk('k1')];
    jwks = RemoteJwks.start(baseUrl(), { algorithm: 'ES256', refreshIntervalMs: 20 });
    for (let attempt = 0; attempt < 50 && !jwks.isReady(); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    published = [publicJwk('k1'), publicJwk('k2')];
    let key = null;
    for (let attempt = 0; attempt < 100 && key === null; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      key = await jwks.find('k2');
    }
    expect(key).not.toBeNull();
  });

  it('starts loading from a base URL in the background', async () => {
    published = [publicJwk('k1')];
    jwks = RemoteJwks.start(baseUrl(), { algorithm: 'ES256' });
    for (let attempt = 0; attempt < 50 && !jwks.isReady(); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(jwks.isReady()).toBe(true);
  });
});
