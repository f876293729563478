import type { FastifyRequest } from 'fastify';

/** What credential headers reached a service: names and sizes, never values. */
export interface ArrivedCredentials {
  readonly cookie: { readonly names: readonly string[]; readonly headerBytes: number } | null;
  readonly authorization: { readonly scheme: string; readonly headerBytes: number } | null;
}

/** Bytes of a header line as a client writes it (`Name: value`, without CRLF). */
function headerBytes(name: string, value: string): number {
  return Buffer.byteLength(`${name}: ${value}`, 'latin1');
}

/**
 * For the lab: which cookies and which Authorization scheme arrived, and how
 * many bytes each header took on the wire. Values stay out of the answer, so
 * the endpoint reveals nothing a page could not already know.
 */
export function describeCredentials(request: FastifyRequest): ArrivedCredentials {
  const cookie = request.headers.cookie;
  const authorization = request.headers.authorization;
  return {
    cookie: cookie
      ? {
          names: cookie
            .split(';')
            .map((pair) => pair.split('=', 1)[0].trim())
            .filter(Boolean),
          headerBytes: headerBytes('Cookie', cookie),
        }
      : null,
    authorization: authorization
      ? {
          scheme: authorization.split(' ', 1)[0],
          headerBytes: headerBytes('Authorization', authorization),
        }
      : null,
  };
}
