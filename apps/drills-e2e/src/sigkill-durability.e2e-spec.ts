import type { CartBody, Credentials, SystemUnderTest } from '@svt/shared/testing';
import {
  expectStatus,
  http,
  loginWithToken,
  newCredentials,
  pollUntil,
  registerUser,
  startSystem,
  startTraffic,
} from '@svt/shared/testing';

/** Acknowledged writes to collect before the kill. */
const BEFORE_THE_KILL = { timeoutMs: 30_000, intervalMs: 50 };

/**
 * A process killed outright (SIGKILL: no shutdown hooks, nothing flushed on
 * the way out) in the middle of its writes. Whatever it acknowledged must be
 * there for the process that takes over: an answer is sent only after the
 * commit (PostgreSQL, or SQLite's write-ahead log, which the operating system
 * holds once written whatever becomes of the process).
 */
describe('when a service is killed with SIGKILL mid-traffic', () => {
  let system: SystemUnderTest;

  beforeAll(async () => {
    system = await startSystem();
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('loses no acknowledged cart write: every item that got a 200 is in the cart after the restart', async () => {
    const auth = http(system.auth);
    const user = await registerUser(auth);
    const { accessToken } = await loginWithToken(auth, user);
    const cart = http(system.cart);
    const acknowledged = new Map<string, number>();
    let next = 0;
    const traffic = startTraffic(
      {
        'put an item': async () => {
          next += 1;
          const sku = `sku-${next}`;
          const quantity = (next % 999) + 1;
          const response = await cart.put(
            `/cart/items/${sku}`,
            { quantity },
            { bearer: accessToken },
          );
          if (response.status === 200) acknowledged.set(sku, quantity);
          return response;
        },
      },
      { loops: 4 },
    );
    await pollUntil(
      async () => acknowledged.size,
      (count) => count >= 50,
      BEFORE_THE_KILL,
    );
    await system.cart.kill();
    await traffic.stop();

    const restarted = http(await system.startReplica('cart'));
    const response = await restarted.get<CartBody>('/cart', { bearer: accessToken });
    expectStatus(response, 200);
    const stored = new Map(response.json?.items.map((item) => [item.sku, item.quantity]));
    const lost = [...acknowledged].filter(([sku, quantity]) => stored.get(sku) !== quantity);
    process.stderr.write(
      `[drill] SIGKILL of CART: ${acknowledged.size} acknowledged cart writes, ${lost.length} lost\n`,
    );
    expect(acknowledged.size).toBeGreaterThanOrEqual(50);
    expect(lost).toEqual([]);
  });

  // Last: a new CART (or gateway) would wait for AUTH's keys at its first address.
  it('loses no acknowledged registration: every user that got a 201 can log in after the restart', async () => {
    const auth = http(system.auth);
    const acknowledged: Credentials[] = [];
    const traffic = startTraffic(
      {
        register: async () => {
          const credentials = newCredentials();
          const response = await auth.post('/auth/register', credentials);
          if (response.status === 201) acknowledged.push(credentials);
          return response;
        },
      },
      { loops: 4 },
    );
    await pollUntil(
      async () => acknowledged.length,
      (count) => count >= 20,
      BEFORE_THE_KILL,
    );
    await system.auth.kill();
    // Requests in flight at the kill fail; only the acknowledged ones count.
    await traffic.stop();

    const restarted = http(await system.startReplica('auth'));
    const logins = await Promise.all(
      acknowledged.map(async (credentials) => ({
        email: credentials.email,
        status: (await restarted.post('/auth/token', credentials)).status,
      })),
    );
    const lost = logins.filter((login) => login.status !== 201);
    process.stderr.write(
      `[drill] SIGKILL of AUTH: ${acknowledged.length} acknowledged registrations, ${lost.length} lost\n`,
    );
    expect(acknowledged.length).toBeGreaterThanOrEqual(20);
    expect(lost).toEqual([]);
  });
});
