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
  let failing: boolean;
  let jwks: RemoteJwks;

  beforeEach(async () => {
    published = [];
    fetches = 0;
    failing = false;
    server = createServer((_request, response) => {
      fetches += 1;
      if (failing) {
        response.statusCode = 503;
        response.end();
        return;
      }
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

  describe('when refreshes fail for longer than maxStaleMs', () => {
    let clock: number;

    beforeEach(() => {
      clock = 1_000_000;
      jest.spyOn(Date, 'now').mockImplementation(() => clock);
    });

    afterEach(() => jest.restoreAllMocks());

    it('keeps its keys up to maxStaleMs, then calls them stale until a refresh works again', async () => {
      published = [publicJwk('k1')];
      jwks = new RemoteJwks(`${baseUrl()}/.well-known/jwks.json`, {
        algorithm: 'ES256',
        maxStaleMs: 60_000,
      });
      await jwks.refresh();
      failing = true;
      await expect(jwks.refresh()).rejects.toThrow('JWKS answered 503');

      clock += 60_000;
      expect([jwks.isStale(), jwks.isReady(), jwks.has('k1')]).toEqual([false, true, true]);

      clock += 1;
      expect([jwks.isStale(), jwks.isReady(), jwks.has('k1')]).toEqual([true, false, false]);

      failing = false;
      await jwks.refresh();
      expect([jwks.isStale(), jwks.isReady(), jwks.has('k1')]).toEqual([false, true, true]);
    });

    it('is never stale without maxStaleMs', async () => {
      published = [publicJwk('k1')];
      jwks = new RemoteJwks(`${baseUrl()}/.well-known/jwks.json`, { algorithm: 'ES256' });
      await jwks.refresh();
      clock += 365 * 24 * 3600 * 1000;
      expect([jwks.isStale(), jwks.has('k1')]).toEqual([false, true]);
    });
  });
});
