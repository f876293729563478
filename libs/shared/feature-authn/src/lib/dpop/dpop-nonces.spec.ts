import { DpopNonces } from './dpop-nonces';

describe('DpopNonces', () => {
  let now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const clock = () => now;
  const nonces = new DpopNonces('a secret every replica shares, 32+', 'https://shop.test', clock);

  it('accepts its nonce in its window and the next, never later', () => {
    const issued = nonces.current();
    expect(nonces.isValid(issued)).toBe(true);
    now += 60_000;
    expect(nonces.isValid(issued)).toBe(true);
    now += 60_000;
    expect(nonces.isValid(issued)).toBe(false);
  });

  it('is the same at every replica that shares the secret, and another service’s is not', () => {
    const replica = new DpopNonces(
      'a secret every replica shares, 32+',
      'https://shop.test',
      clock,
    );
    const otherService = new DpopNonces(
      'a secret every replica shares, 32+',
      'https://cart.test',
      clock,
    );
    expect(replica.isValid(nonces.current())).toBe(true);
    expect(otherService.isValid(nonces.current())).toBe(false);
  });

  it('refuses a nonce made with another secret or tampered with', () => {
    const forger = new DpopNonces('not the secret the replicas share!', 'https://shop.test', clock);
    expect(nonces.isValid(forger.current())).toBe(false);
    const issued = nonces.current();
    expect(nonces.isValid(`${issued.slice(0, -1)}${issued.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(nonces.isValid('')).toBe(false);
  });
});
