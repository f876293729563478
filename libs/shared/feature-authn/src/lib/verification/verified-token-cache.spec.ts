import type { KeyObject } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import { sign, verify } from 'jsonwebtoken';
import { tokenCacheLookups } from '../authn.metrics';
import { ACCESS_TOKEN_TYPE, CLOCK_TOLERANCE_SECONDS } from './jwt-verification';
import type { KeySource } from './key-source';
import type { TokenVerifier, VerifiedToken } from './token-verifier';
import { VerifiedTokenCache } from './verified-token-cache';

const START = 1_800_000_000_000;
const EXP = START / 1000 + 60;

/** Keys by kid, as a JWKS would publish them; `delete` withdraws one. */
class FakeKeys implements KeySource {
  readonly published = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();

  add(kid: string): KeyObject {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.published.set(kid, pair);
    return pair.privateKey;
  }

  async find(kid: string): Promise<KeyObject | null> {
    return this.published.get(kid)?.publicKey ?? null;
  }

  has(kid: string): boolean {
    return this.published.has(kid) && !this.stale;
  }

  isReady(): boolean {
    return this.published.size > 0;
  }

  stale = false;
  isStale(): boolean {
    return this.stale;
  }
}

/** The cache never reads a token: it is only the key of its entry. */
function tokenNamed(name: string): string {
  return `header.${Buffer.from(name).toString('base64url')}.c2ln`;
}

function verified(exp = EXP, keyId = 'k1'): VerifiedToken {
  return {
    identity: {
      userId: 'u1',
      sessionId: 's1',
      method: 'bearer',
      credential: 'bearer',
      expiresAt: exp * 1000,
    },
    keyId,
  };
}

/** Accepts the tokens in `valid` as `verified()`, refuses the rest; counts its calls. */
class FakeVerifier implements TokenVerifier {
  readonly valid = new Set<string>();
  calls = 0;
  async verify(token: string): Promise<VerifiedToken | null> {
    this.calls += 1;
    return this.valid.has(token) ? verified() : null;
  }
}

function setUp(maxEntries?: number): {
  cache: VerifiedTokenCache;
  keys: FakeKeys;
  verifier: FakeVerifier;
  clock: { at: number };
} {
  const clock = { at: START };
  const keys = new FakeKeys();
  keys.add('k1');
  const verifier = new FakeVerifier();
  const cache = new VerifiedTokenCache(verifier, keys, {
    name: 'spec',
    maxEntries,
    now: () => clock.at,
  });
  return { cache, keys, verifier, clock };
}

describe(VerifiedTokenCache.name, () => {
  it('knows nothing of a token it was never given', async () => {
    const { cache } = setUp();
    expect(cache.get(tokenNamed('a'))).toBeNull();
  });

  it('answers what was stored for the exact token string', async () => {
    const { cache } = setUp();
    cache.set(tokenNamed('a'), verified());
    expect(cache.get(tokenNamed('a'))).toEqual(verified());
  });

  it('answers nothing for a token that differs by one character', async () => {
    const { cache } = setUp();
    const token = tokenNamed('a');
    cache.set(token, verified());
    expect(cache.get(`${token.slice(0, -1)}M`)).toBeNull();
  });

  it('hands out a frozen identity, so no request can alter what the next one sees', async () => {
    const { cache } = setUp();
    cache.set(tokenNamed('a'), verified());
    expect(Object.isFrozen(cache.get(tokenNamed('a'))?.identity)).toBe(true);
  });

  describe('expiry', () => {
    it('keeps a token until the second jsonwebtoken refuses it, clock tolerance included', async () => {
      const { cache, clock } = setUp();
      cache.set(tokenNamed('a'), verified());
      clock.at = (EXP + CLOCK_TOLERANCE_SECONDS) * 1000 - 1;
      expect(cache.get(tokenNamed('a'))).not.toBeNull();
      clock.at = (EXP + CLOCK_TOLERANCE_SECONDS) * 1000;
      expect(cache.get(tokenNamed('a'))).toBeNull();
      expect(cache.size).toBe(0);
    });

    it.each([-1_001, -1, 0, 1, 999, 1_000])(
      'agrees with jsonwebtoken %i ms from the end of the tolerance',
      async (offset) => {
        const { cache, keys, clock } = setUp();
        const privateKey = keys.add('real');
        const token = sign({ sub: 'u1', sid: 's1', iat: START / 1000, exp: EXP }, privateKey, {
          algorithm: 'ES256',
          keyid: 'real',
          header: { alg: 'ES256', typ: ACCESS_TOKEN_TYPE },
        });
        cache.set(token, verified(EXP, 'real'));
        clock.at = (EXP + CLOCK_TOLERANCE_SECONDS) * 1000 + offset;
        const accepted = ((): boolean => {
          try {
            verify(token, keys.published.get('real')?.publicKey ?? '', {
              algorithms: ['ES256'],
              clockTolerance: CLOCK_TOLERANCE_SECONDS,
              clockTimestamp: Math.floor(clock.at / 1000),
            });
            return true;
          } catch {
            return false;
          }
        })();
        expect((await cache.get(token)) !== null).toBe(accepted);
      },
    );

    it('does not store a token that has already expired', () => {
      const { cache, clock } = setUp();
      clock.at = (EXP + CLOCK_TOLERANCE_SECONDS) * 1000;
      cache.set(tokenNamed('a'), verified());
      expect(cache.size).toBe(0);
    });

    it('ends an entry no later than jsonwebtoken when exp is fractional', async () => {
      const { cache, clock } = setUp();
      cache.set(tokenNamed('a'), verified(EXP + 0.5));
      clock.at = (EXP + CLOCK_TOLERANCE_SECONDS) * 1000;
      expect(cache.get(tokenNamed('a'))).toBeNull();
    });
  });

  describe('when the key source changes', () => {
    it('stops answering for tokens whose kid was withdrawn, at once', async () => {
      const { cache, keys } = setUp();
      keys.add('k2');
      cache.set(tokenNamed('a'), verified());
      cache.set(tokenNamed('b'), verified(EXP, 'k2'));
      keys.published.delete('k1');
      expect(cache.get(tokenNamed('a'))).toBeNull();
      expect(cache.get(tokenNamed('b'))).not.toBeNull();
      expect(cache.size).toBe(1);
    });
  });

  describe('as a TokenVerifier', () => {
    it('asks its verifier on a miss and remembers an acceptance', async () => {
      const { cache, verifier } = setUp();
      verifier.valid.add(tokenNamed('a'));
      await expect(cache.verify(tokenNamed('a'))).resolves.toEqual(verified());
      expect(cache.verify(tokenNamed('a'))).toEqual(verified());
      expect(verifier.calls).toBe(1);
    });

    it('remembers no refusal: a refused token is verified again each time', async () => {
      const { cache, verifier } = setUp();
      await expect(cache.verify(tokenNamed('a'))).resolves.toBeNull();
      await expect(cache.verify(tokenNamed('a'))).resolves.toBeNull();
      expect(verifier.calls).toBe(2);
      expect(cache.size).toBe(0);
    });

    it('fails closed with store_unavailable on a miss while the keys are stale', () => {
      const { cache, keys, verifier } = setUp();
      keys.stale = true;
      expect(() => cache.verify(tokenNamed('a'))).toThrow(
        expect.objectContaining({ code: 'store_unavailable' }),
      );
      expect(verifier.calls).toBe(0);
    });
  });

  describe('bounds', () => {
    it('evicts the oldest insertion when full', async () => {
      const { cache } = setUp(3);
      for (const name of ['a', 'b', 'c', 'd']) cache.set(tokenNamed(name), verified());
      expect(cache.size).toBe(3);
      expect(cache.get(tokenNamed('a'))).toBeNull();
      expect(cache.get(tokenNamed('b'))).not.toBeNull();
      expect(cache.get(tokenNamed('d'))).not.toBeNull();
    });

    it('drops the expired entries it meets while making room', async () => {
      const { cache, clock } = setUp(3);
      cache.set(tokenNamed('a'), verified(START / 1000 + 1));
      cache.set(tokenNamed('b'), verified(START / 1000 + 1));
      cache.set(tokenNamed('c'), verified());
      clock.at = (START / 1000 + 1 + CLOCK_TOLERANCE_SECONDS) * 1000;
      cache.set(tokenNamed('d'), verified());
      expect(cache.size).toBe(2);
      expect(cache.get(tokenNamed('c'))).not.toBeNull();
      expect(cache.get(tokenNamed('d'))).not.toBeNull();
    });

    it('counts a token stored twice once, as its latest insertion', async () => {
      const { cache } = setUp(2);
      cache.set(tokenNamed('a'), verified());
      cache.set(tokenNamed('b'), verified());
      cache.set(tokenNamed('a'), verified());
      cache.set(tokenNamed('c'), verified());
      expect(cache.get(tokenNamed('a'))).not.toBeNull();
      expect(cache.get(tokenNamed('b'))).toBeNull();
    });

    it.each([0, -1, 1.5, Number.NaN])('refuses %p as maxEntries with a TypeError', (maxEntries) => {
      expect(() => setUp(maxEntries)).toThrow(TypeError);
    });
  });

  it('forgets everything on clear()', async () => {
    const { cache } = setUp();
    cache.set(tokenNamed('a'), verified());
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get(tokenNamed('a'))).toBeNull();
  });

  it('counts hits and misses under its name', async () => {
    const count = async (result: string): Promise<number> =>
      (await tokenCacheLookups.get()).values.find(
        (value) => value.labels['cache'] === 'spec' && value.labels['result'] === result,
      )?.value ?? 0;
    const [hits, misses] = [await count('hit'), await count('miss')];
    const { cache } = setUp();
    await cache.get(tokenNamed('a'));
    cache.set(tokenNamed('a'), verified());
    await cache.get(tokenNamed('a'));
    await cache.get(tokenNamed('a'));
    expect(await count('hit')).toBe(hits + 2);
    expect(await count('miss')).toBe(misses + 1);
  });
});
