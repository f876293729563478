import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import { AppError } from '@svt/shared/util-errors';
import { REQUEST_ID_HEADER } from '@svt/shared/util-http';

/**
 * RFC 9110 §7.6.1 hop-by-hop headers, plus those the client recomputes, and
 * `Expect`: the gateway met a 100-continue itself (Node answered it and the
 * body is read in full), and undici refuses to send the header at all.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'expect',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/**
 * CORS answers of an upstream to the caller's Origin. The gateway serves SHOP
 * itself, same-origin: it grants no cross-origin access, so none is relayed.
 */
const UPSTREAM_CORS = /^access-control-/;

/** Identity a client might try to assert; only the gateway's signed token carries identity. */
const CLIENT_IDENTITY = /^(x-user-|x-user$|x-auth-|x-identity-|x-forwarded-|x-real-ip$|forwarded$)/;

export interface ForwardOptions {
  /** The upstream path with query, e.g. `/cart/items/a?x=1`. */
  readonly path: string;
  /** Request headers to drop on top of hop-by-hop and client identity headers. */
  readonly drop?: ReadonlySet<string>;
  /** Headers to set on the upstream request. */
  readonly set?: Readonly<Record<string, string>>;
  /**
   * The gateway vouched for the caller: a 401 from upstream means it refused
   * the gateway's identity token (a key or configuration fault), which is not
   * the caller's to fix, so it becomes a 502 instead of a misleading 401.
   */
  readonly identityForwarded?: boolean;
}

/** A keep-alive connection pool to one upstream service. */
export class Upstream {
  private readonly pool: Pool;

  constructor(
    readonly name: string,
    baseUrl: string,
  ) {
    this.pool = new Pool(new URL(baseUrl).origin, {
      connections: 64,
      keepAliveTimeout: 10_000,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
  }

  async forward(
    request: FastifyRequest,
    reply: FastifyReply,
    options: ForwardOptions,
  ): Promise<void> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (
        value === undefined ||
        HOP_BY_HOP.has(name) ||
        CLIENT_IDENTITY.test(name) ||
        options.drop?.has(name)
      )
        continue;
      headers[name] = value;
    }
    headers['x-forwarded-for'] = request.ip;
    headers['x-forwarded-host'] = request.headers.host ?? '';
    headers['x-forwarded-proto'] = request.protocol;
    // The id this request is logged under, so its lines join up across services.
    headers[REQUEST_ID_HEADER] = request.id;
    Object.assign(headers, options.set);

    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    let response;
    try {
      response = await this.pool.request({
        method: request.method as 'GET',
        path: options.path,
        headers,
        body,
      });
    } catch (error) {
      throw new AppError('upstream_unavailable', `The ${this.name} service did not answer.`, {
        cause: error,
      });
    }
    if (options.identityForwarded && response.statusCode === 401) {
      await response.body.dump();
      throw new AppError(
        'upstream_unavailable',
        `The ${this.name} service did not accept the gateway's identity token.`,
      );
    }
    const payload = Buffer.from(await response.body.arrayBuffer());
    reply.status(response.statusCode);
    for (const [name, value] of Object.entries(response.headers as IncomingHttpHeaders)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && !UPSTREAM_CORS.test(name)) {
        reply.header(name, value);
      }
    }
    await reply.send(payload);
  }

  /**
   * A GET the gateway makes on its own account (not relaying a caller): the
   * status and the parsed JSON body, `undefined` when there is none. Throws
   * `upstream_unavailable` when the service does not answer.
   */
  async getJson(
    path: string,
    headers: Readonly<Record<string, string>>,
  ): Promise<{ status: number; body: unknown }> {
    let response;
    try {
      response = await this.pool.request({ method: 'GET', path, headers });
    } catch (error) {
      throw new AppError('upstream_unavailable', `The ${this.name} service did not answer.`, {
        cause: error,
      });
    }
    const text = await response.body.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.statusCode, body };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
