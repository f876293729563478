import type { FastifyRequest } from 'fastify';
import { describeCredentials } from './credentials-echo';

const request = (headers: Record<string, string>): FastifyRequest =>
  ({ headers }) as unknown as FastifyRequest;

describe(describeCredentials.name, () => {
  it('names the cookies and counts the header line, without any value', () => {
    const arrived = describeCredentials(request({ cookie: '__Host-Http-sid=abc; theme=dark' }));
    expect(arrived).toEqual({
      cookie: {
        names: ['__Host-Http-sid', 'theme'],
        headerBytes: 'Cookie: __Host-Http-sid=abc; theme=dark'.length,
      },
      authorization: null,
    });
    expect(JSON.stringify(arrived)).not.toContain('abc');
  });

  it('gives the Authorization scheme and size, never the token', () => {
    const arrived = describeCredentials(request({ authorization: 'Bearer secret.token.value' }));
    expect(arrived).toEqual({
      cookie: null,
      authorization: {
        scheme: 'Bearer',
        headerBytes: 'Authorization: Bearer secret.token.value'.length,
      },
    });
    expect(JSON.stringify(arrived)).not.toContain('secret');
  });

  it('says nothing arrived when nothing did', () => {
    expect(describeCredentials(request({}))).toEqual({ cookie: null, authorization: null });
  });
});
