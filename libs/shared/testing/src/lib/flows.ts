import { CookieJar } from './cookie-jar';
import { SESSION_COOKIE } from './contract';
import type { CartBody, SessionBody, TokenBody, UserBody } from './contract';
import { describeResponse } from './http-client';
import type { HttpClient, HttpResponse } from './http-client';
import { strongPassword, uniqueEmail } from './random';

/**
 * Set-up steps shared by the suites. They throw (with the whole response) when
 * a step does not succeed: a broken precondition, not the assertion under test.
 * `basePath` is `/auth` on AUTH and `/api/auth` through the gateway.
 */

export interface Credentials {
  email: string;
  password: string;
}

export interface RegisteredUser extends Credentials {
  id: string;
}

export interface SessionLogin {
  /** Holds `__Host-Http-sid` for the site that answered. */
  jar: CookieJar;
  csrfToken: string;
  user: UserBody;
  /** The session cookie's value. */
  sessionId: string;
  response: HttpResponse<SessionBody>;
}

export interface TokenLogin {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  response: HttpResponse<TokenBody>;
}

export function newCredentials(): Credentials {
  return { email: uniqueEmail(), password: strongPassword() };
}

export async function registerUser(
  client: HttpClient,
  credentials: Credentials = newCredentials(),
  basePath = '/auth',
): Promise<RegisteredUser> {
  const response = await client.post<UserBody>(`${basePath}/register`, only(credentials));
  const id = response.json?.id;
  if (response.status !== 201 || typeof id !== 'string') setupFailed('register', response);
  return { ...credentials, id };
}

export async function loginWithSession(
  client: HttpClient,
  credentials: Credentials,
  basePath = '/auth',
  jar: CookieJar = new CookieJar(),
): Promise<SessionLogin> {
  const response = await client.post<SessionBody>(`${basePath}/session`, only(credentials), {
    jar,
  });
  const body = response.json;
  const sessionId = jar.get(SESSION_COOKIE);
  if (response.status !== 201 || body === undefined || sessionId === undefined) {
    setupFailed('session login', response);
  }
  return {
    jar,
    csrfToken: body.csrfToken,
    user: body.user,
    sessionId,
    response,
  };
}

export async function loginWithToken(
  client: HttpClient,
  credentials: Credentials,
  basePath = '/auth',
): Promise<TokenLogin> {
  const response = await client.post<TokenBody>(`${basePath}/token`, only(credentials));
  const body = response.json;
  if (response.status !== 201 || typeof body?.access_token !== 'string') {
    setupFailed('token login', response);
  }
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresIn: body.expires_in,
    response,
  };
}

export interface SignedUpUser {
  user: RegisteredUser;
  session: SessionLogin;
  tokens: TokenLogin;
}

/** A new user, logged in both ways: a cookie session and a token pair. */
export async function signUp(client: HttpClient, basePath = '/auth'): Promise<SignedUpUser> {
  const user = await registerUser(client, newCredentials(), basePath);
  const session = await loginWithSession(client, user, basePath);
  const tokens = await loginWithToken(client, user, basePath);
  return { user, session, tokens };
}

/** The headers a cookie-authenticated unsafe request needs: a same-site `Origin` and the CSRF token. */
export function csrfHeaders(origin: string, csrfToken: string): Record<string, string> {
  return { origin, 'x-csrf-token': csrfToken };
}

/** Puts `quantity` of `sku` in the cart with a Bearer token, as a precondition. */
export async function putCartItem(
  client: HttpClient,
  path: string,
  quantity: number,
  accessToken: string,
): Promise<CartBody> {
  const response = await client.put<CartBody>(path, { quantity }, { bearer: accessToken });
  if (response.status !== 200 || response.json === undefined)
    setupFailed('put cart item', response);
  return response.json;
}

/** The login body: a `RegisteredUser` also carries its id, which the schema refuses. */
function only({ email, password }: Credentials): Credentials {
  return { email, password };
}

function setupFailed(step: string, response: HttpResponse<unknown>): never {
  throw new Error(`e2e set-up step "${step}" failed: ${describeResponse(response)}`);
}
