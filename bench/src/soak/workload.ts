import type { Failure } from './open-loop';
import type {
  Credentials,
  GatewayMeBody,
  HttpClient,
  HttpResponse,
  RequestOptions,
  SystemUnderTest,
  TokenBody,
} from '@svt/shared/testing';
import {
  CookieJar,
  csrfHeaders,
  describeResponse,
  http,
  loginWithSession,
  loginWithToken,
  registerUser,
} from '@svt/shared/testing';

/** The operations of the mixed workload. */
export type SoakOperation =
  | 'token-login'
  | 'session-login'
  | 'refresh'
  | 'me-bearer'
  | 'me-session'
  | 'cart-read-bearer'
  | 'cart-read-session'
  | 'cart-write-bearer'
  | 'cart-write-session'
  | 'cart-direct-bearer';

export const OPERATION_TITLES: Readonly<Record<SoakOperation, string>> = {
  'token-login': 'token login (POST /api/auth/token)',
  'session-login': 'session login (POST /api/auth/session)',
  refresh: 'refresh rotation, chained (POST /api/auth/token/refresh)',
  'me-bearer': 'GET /api/me, Bearer',
  'me-session': 'GET /api/me, session cookie',
  'cart-read-bearer': 'GET /api/cart, Bearer',
  'cart-read-session': 'GET /api/cart, session cookie',
  'cart-write-bearer': 'PUT/DELETE /api/cart/items/:sku, Bearer',
  'cart-write-session': 'PUT/DELETE /api/cart/items/:sku, session cookie + CSRF',
  'cart-direct-bearer': 'GET /cart at CART, Bearer',
};

export const OPERATIONS = Object.keys(OPERATION_TITLES) as SoakOperation[];

/**
 * Each login costs an argon2id hash (~50 ms of a core): at most this many per
 * second of each kind, whatever the total rate.
 */
const LOGINS_PER_SECOND = 1;
/** Nor more than this share of the total rate each. */
const LOGIN_SHARE = 0.05;

/** Shares of what the logins leave of the rate: reads outnumber writes, as in a shop. */
const WEIGHTS: Readonly<Record<Exclude<SoakOperation, 'token-login' | 'session-login'>, number>> = {
  refresh: 1,
  'me-bearer': 2,
  'me-session': 2,
  'cart-read-bearer': 3,
  'cart-read-session': 3,
  'cart-write-bearer': 1.5,
  'cart-write-session': 1.5,
  'cart-direct-bearer': 2,
};

/** One operation's planned rate, req/s. */
export interface PlannedRate {
  readonly operation: SoakOperation;
  readonly perSecond: number;
}

/** Splits `rate` (req/s) over the operations: logins capped, the rest by weight. */
export function planMix(rate: number): PlannedRate[] {
  const login = Math.min(LOGINS_PER_SECOND, rate * LOGIN_SHARE);
  const rest = rate - 2 * login;
  const total = Object.values(WEIGHTS).reduce((sum, weight) => sum + weight, 0);
  return OPERATIONS.map((operation) => ({
    operation,
    perSecond:
      operation === 'token-login' || operation === 'session-login'
        ? login
        : (rest * WEIGHTS[operation]) / total,
  }));
}

interface PoolUser {
  readonly id: string;
  readonly credentials: Credentials;
  /** The latest session login's cookie (for SHOP) and CSRF token. */
  session: { jar: CookieJar; csrfToken: string };
  /** The head of this user's refresh chain and the access token that came with it. */
  tokens: { accessToken: string; refreshToken: string };
  /** A rotation of this chain is pending: its refresh token must not be sent again. */
  rotating: boolean;
}

/** The SKUs a user's cart writes cycle through, so a cart stays small. */
const SKUS = 4;

/**
 * The pool of users and the requests of each operation. Everything goes
 * through the gateway, as a browser or app would send it, except the direct
 * CART read, which shows a Bearer token working on CART's own site.
 */
export class Workload {
  private readonly shop: HttpClient;
  private readonly cart: HttpClient;
  private readonly cursors = new Map<SoakOperation, number>();

  private constructor(
    system: SystemUnderTest,
    private readonly users: readonly PoolUser[],
  ) {
    this.shop = http(system.shop);
    this.cart = http(system.cart);
  }

  /** Registers `count` users at AUTH and logs each in both ways through the gateway. */
  static async prepare(system: SystemUnderTest, count: number): Promise<Workload> {
    const auth = http(system.auth);
    const shop = http(system.shop);
    const users = await Promise.all(
      Array.from({ length: count }, async (): Promise<PoolUser> => {
        const user = await registerUser(auth);
        const credentials = { email: user.email, password: user.password };
        const session = await loginWithSession(shop, credentials, '/api/auth');
        const tokens = await loginWithToken(shop, credentials, '/api/auth');
        return {
          id: user.id,
          credentials,
          session: { jar: session.jar, csrfToken: session.csrfToken },
          tokens: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken },
          rotating: false,
        };
      }),
    );
    return new Workload(system, users);
  }

  /** Sends one request of `operation`; resolves what went wrong, if anything. */
  async run(operation: SoakOperation): Promise<Failure> {
    const turn = this.next(operation);
    const user = this.users[turn % this.users.length] as PoolUser;
    const shop = this.shop;
    switch (operation) {
      case 'token-login': {
        const response = await shop.post<TokenBody>('/api/auth/token', user.credentials);
        return check(response, 201, typeof response.json?.access_token === 'string');
      }
      case 'session-login': {
        const jar = new CookieJar();
        const response = await shop.post<{ csrfToken: string }>(
          '/api/auth/session',
          user.credentials,
          { jar },
        );
        const csrfToken = response.json?.csrfToken;
        const failure = check(response, 201, typeof csrfToken === 'string');
        // Later cookie requests of this user ride on the newest session.
        if (failure === null && csrfToken !== undefined) user.session = { jar, csrfToken };
        return failure;
      }
      case 'refresh':
        return this.rotate(turn);
      case 'me-bearer':
      case 'me-session': {
        const bearer = operation === 'me-bearer';
        const response = await shop.get<GatewayMeBody>(
          '/api/me',
          bearer ? { bearer: user.tokens.accessToken } : { jar: user.session.jar },
        );
        // The identity must be this user's: a mix-up under load is an error too.
        return check(
          response,
          200,
          response.json?.userId === user.id &&
            response.json.method === (bearer ? 'bearer' : 'session'),
        );
      }
      case 'cart-read-bearer':
        return check(await shop.get('/api/cart', { bearer: user.tokens.accessToken }), 200);
      case 'cart-read-session':
        return check(await shop.get('/api/cart', { jar: user.session.jar }), 200);
      case 'cart-write-bearer':
        return check(await this.write(turn, 'bearer'), 200);
      case 'cart-write-session':
        return check(await this.write(turn, 'session'), 200);
      case 'cart-direct-bearer':
        return check(await this.cart.get('/cart', { bearer: user.tokens.accessToken }), 200);
    }
  }

  /** The `turn`-th use of `operation`: users and SKUs are taken in turn. */
  private next(operation: SoakOperation): number {
    const turn = this.cursors.get(operation) ?? 0;
    this.cursors.set(operation, turn + 1);
    return turn;
  }

  /** Even turns put an item in, odd turns take the same item out of the same cart again. */
  private write(turn: number, via: 'bearer' | 'session'): Promise<HttpResponse> {
    const pair = Math.floor(turn / 2);
    const user = this.users[pair % this.users.length] as PoolUser;
    const options: RequestOptions =
      via === 'bearer'
        ? { bearer: user.tokens.accessToken }
        : {
            jar: user.session.jar,
            headers: csrfHeaders(this.shop.service.origin, user.session.csrfToken),
          };
    const path = `/api/cart/items/soak-${pair % SKUS}`;
    return turn % 2 === 0
      ? this.shop.put(path, { quantity: (pair % 9) + 1 }, options)
      : this.shop.delete(path, options);
  }

  /**
   * Spends the head of an idle user's refresh chain and keeps its successor.
   * Every chain busy means rotations pile up: an error, like the in-flight cap.
   */
  private async rotate(turn: number): Promise<Failure> {
    const user = Array.from(
      { length: this.users.length },
      (_, i) => this.users[(turn + i) % this.users.length] as PoolUser,
    ).find((candidate) => !candidate.rotating);
    if (!user) {
      const reason = 'every refresh chain had a rotation pending';
      return { reason, detail: reason };
    }
    user.rotating = true;
    try {
      const response = await this.shop.post<TokenBody>('/api/auth/token/refresh', {
        refresh_token: user.tokens.refreshToken,
      });
      const body = response.json;
      const failure = check(
        response,
        200,
        typeof body?.access_token === 'string' && typeof body.refresh_token === 'string',
      );
      if (failure === null && body) {
        user.tokens = { accessToken: body.access_token, refreshToken: body.refresh_token };
      } else {
        await this.restartChain(user);
      }
      return failure;
    } catch (error) {
      await this.restartChain(user);
      throw error;
    } finally {
      user.rotating = false;
    }
  }

  /**
   * After a failed rotation the chain's head may or may not be spent: a new
   * login starts a fresh one, so one failure is not repeated on every turn.
   */
  private async restartChain(user: PoolUser): Promise<void> {
    try {
      const tokens = await loginWithToken(this.shop, user.credentials, '/api/auth');
      user.tokens = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
    } catch {
      // The failed rotation is already counted; the next turn of this chain will tell.
    }
  }
}

/** null when `response` has `status` (and `valid` holds), else what it was instead. */
function check(response: HttpResponse<unknown>, status: number, valid = true): Failure {
  if (response.status === status && valid) return null;
  const body = response.json;
  const code =
    typeof body === 'object' && body !== null && 'code' in body && typeof body.code === 'string'
      ? ` ${body.code}`
      : '';
  return {
    reason: `${response.status}${code}${response.status === status ? ', unexpected body' : ''} (expected ${status})`,
    detail: describeResponse(response, 300),
  };
}
