import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { CookieJar } from './cookie-jar';
import { parseSetCookies } from './set-cookie';
import type { SetCookie } from './set-cookie';

/** What the client needs to reach a service: where it listens and the name it answers to. */
export interface ServiceAddress {
  readonly name: string;
  readonly port: number;
  /** Public origin, e.g. `http://shop.localhost:43121`; its host is sent as `Host`. */
  readonly origin: string;
}

export type JsonObject = Record<string, unknown>;

export interface RequestOptions {
  /** Extra headers; an `undefined` value leaves that header out. */
  headers?: Record<string, string | undefined>;
  /** Sends the jar's cookies and stores the response's `Set-Cookie`s in it. */
  jar?: CookieJar;
  /** Shorthand for `Authorization: Bearer <token>`. */
  bearer?: string;
}

export interface RequestSpec extends RequestOptions {
  method: string;
  /** Path and query, starting with `/`, already percent-encoded. */
  path: string;
  /** Sent as is; set `content-type` yourself. */
  body?: string | Buffer;
  /** Serialised as JSON with `content-type: application/json` (unless given). */
  json?: unknown;
}

export interface HttpResponse<T = JsonObject> {
  status: number;
  /** Lower-case names; repeated headers joined with `, ` (see `cookies` for `Set-Cookie`). */
  headers: Record<string, string>;
  text: string;
  /** The parsed body when the content type is JSON (`+json` included) and it parses; else `undefined`. */
  json: T | undefined;
  cookies: SetCookie[];
  /** The raw `Set-Cookie` lines. */
  setCookie: string[];
  method: string;
  path: string;
}

export interface HttpClient {
  readonly service: ServiceAddress;
  request<T = JsonObject>(spec: RequestSpec): Promise<HttpResponse<T>>;
  get<T = JsonObject>(path: string, options?: RequestOptions): Promise<HttpResponse<T>>;
  post<T = JsonObject>(
    path: string,
    json?: unknown,
    options?: RequestOptions,
  ): Promise<HttpResponse<T>>;
  put<T = JsonObject>(
    path: string,
    json?: unknown,
    options?: RequestOptions,
  ): Promise<HttpResponse<T>>;
  patch<T = JsonObject>(
    path: string,
    json?: unknown,
    options?: RequestOptions,
  ): Promise<HttpResponse<T>>;
  delete<T = JsonObject>(path: string, options?: RequestOptions): Promise<HttpResponse<T>>;
  options<T = JsonObject>(path: string, options?: RequestOptions): Promise<HttpResponse<T>>;
}

const TIMEOUT_MS = 15_000;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json(?:\s*;|$)/i;

/**
 * A client for one service. Node cannot resolve `*.localhost`, so it connects
 * to 127.0.0.1:<port> and sends `Host: <name>.localhost:<port>`, which is why
 * it uses undici's `request` (fetch forbids setting `Host`). It never throws
 * on an HTTP status; only on a network failure.
 */
export function http(service: ServiceAddress): HttpClient {
  const host = new URL(service.origin).host;
  const send = async <T>(spec: RequestSpec): Promise<HttpResponse<T>> => {
    if (!spec.path.startsWith('/')) throw new TypeError(`path must start with "/": ${spec.path}`);
    const headers: Record<string, string> = { host };
    let body = spec.body;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers['content-type'] = 'application/json';
    }
    if (spec.bearer !== undefined) headers['authorization'] = `Bearer ${spec.bearer}`;
    const jarCookies = spec.jar?.header(spec.path.split('?', 1)[0]);
    if (jarCookies) headers['cookie'] = jarCookies;
    for (const [name, value] of Object.entries(spec.headers ?? {})) {
      const key = name.toLowerCase();
      if (value === undefined) {
        delete headers[key];
      } else if (key === 'cookie' && headers['cookie']) {
        headers['cookie'] = `${headers['cookie']}; ${value}`;
      } else {
        headers[key] = value;
      }
    }
    const method = spec.method.toUpperCase();
    const response = await request(`http://127.0.0.1:${service.port}${spec.path}`, {
      method: method as Dispatcher.HttpMethod,
      headers,
      body,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    const text = await response.body.text();
    const flat: Record<string, string> = {};
    let setCookie: string[] = [];
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue;
      const key = name.toLowerCase();
      if (key === 'set-cookie') setCookie = Array.isArray(value) ? value : [value];
      flat[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    const result: HttpResponse<T> = {
      status: response.statusCode,
      headers: flat,
      text,
      json: parseJson<T>(flat['content-type'], text),
      cookies: parseSetCookies(setCookie),
      setCookie,
      method,
      path: spec.path,
    };
    spec.jar?.store(result);
    return result;
  };
  return {
    service,
    request: send,
    get: (path, options) => send({ ...options, method: 'GET', path }),
    post: (path, json, options) => send({ ...options, method: 'POST', path, json }),
    put: (path, json, options) => send({ ...options, method: 'PUT', path, json }),
    patch: (path, json, options) => send({ ...options, method: 'PATCH', path, json }),
    delete: (path, options) => send({ ...options, method: 'DELETE', path }),
    options: (path, options) => send({ ...options, method: 'OPTIONS', path }),
  };
}

/** One line for assertion messages: `POST /auth/token → 401 {"code":…}`. */
export function describeResponse(response: HttpResponse<unknown>, maxBody = 600): string {
  const body =
    response.text.length > maxBody ? `${response.text.slice(0, maxBody)}…` : response.text;
  const type = response.headers['content-type'] ?? '(no content-type)';
  return `${response.method} ${response.path} → ${response.status} ${type} ${body}`;
}

function parseJson<T>(contentType: string | undefined, text: string): T | undefined {
  if (contentType === undefined || !JSON_TYPE.test(contentType) || text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
