import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CookieJar } from './cookie-jar';
import { describeResponse, http } from './http-client';
import type { HttpClient } from './http-client';

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback server on port 0 that echoes what it received and answers per path. */
describe(http.name, () => {
  let server: Server;
  let client: HttpClient;
  let seen: Seen;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, headers: req.headers, body };
        if (req.url === '/login') {
          res.setHeader('set-cookie', [
            '__Host-Http-sid=s1; Path=/; HttpOnly; Secure; SameSite=Lax',
            'theme=dark; Path=/',
          ]);
          res.writeHead(201, {
            'content-type': 'application/json; charset=utf-8',
          });
          res.end('{"ok":true}');
        } else if (req.url === '/logout') {
          res.setHeader('set-cookie', '__Host-Http-sid=; Path=/; Max-Age=0');
          res.writeHead(204);
          res.end();
        } else if (req.url === '/problem') {
          res.writeHead(401, {
            'content-type': 'application/problem+json',
            'www-authenticate': 'Bearer',
          });
          res.end('{"code":"unauthenticated"}');
        } else if (req.url === '/text') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('{"looks":"like json"}');
        } else {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{not json');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = http({
      name: 'shop',
      port,
      origin: `http://shop.localhost:${port}`,
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('connects to 127.0.0.1 and sends the service origin as Host', async () => {
    await client.get('/text');
    expect(seen.headers.host).toBe(`shop.localhost:${client.service.port}`);
  });

  it('sends JSON with its content type', async () => {
    await client.post('/echo', { a: 1 });
    expect(seen.method).toBe('POST');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen.body)).toEqual({ a: 1 });
  });

  it('sends a raw body untouched with the headers given', async () => {
    await client.request({
      method: 'POST',
      path: '/echo',
      body: '{"a":',
      headers: { 'content-type': 'text/plain' },
    });
    expect(seen.body).toBe('{"a":');
    expect(seen.headers['content-type']).toBe('text/plain');
  });

  it('sends a Bearer token, and leaves out a header given as undefined', async () => {
    await client.get('/echo', {
      bearer: 'abc',
      headers: { 'x-keep': '1', 'x-drop': undefined },
    });
    expect(seen.headers.authorization).toBe('Bearer abc');
    expect(seen.headers['x-keep']).toBe('1');
    expect(seen.headers).not.toHaveProperty('x-drop');
  });

  it('parses JSON, problem+json included, and leaves other types as text', async () => {
    expect((await client.post('/login')).json).toEqual({ ok: true });
    expect((await client.get('/problem')).json).toEqual({
      code: 'unauthenticated',
    });
    const text = await client.get('/text');
    expect(text.json).toBeUndefined();
    expect(text.text).toBe('{"looks":"like json"}');
  });

  it('resolves on 4xx and 5xx, with json undefined when a JSON body does not parse', async () => {
    const response = await client.get('/broken');
    expect(response.status).toBe(500);
    expect(response.json).toBeUndefined();
  });

  it('gives lower-case headers and parsed cookies', async () => {
    const response = await client.post('/login');
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.cookies.map((c) => [c.name, c.value, c.httpOnly])).toEqual([
      ['__Host-Http-sid', 's1', true],
      ['theme', 'dark', false],
    ]);
    expect(response.setCookie).toHaveLength(2);
  });

  describe('with a jar', () => {
    it('stores Set-Cookie, sends the cookies next time, and forgets a cleared one', async () => {
      const jar = new CookieJar();
      await client.post('/login', undefined, { jar });
      await client.get('/echo', { jar });
      expect(seen.headers.cookie).toBe('__Host-Http-sid=s1; theme=dark');
      await client.delete('/logout', { jar });
      await client.get('/echo', { jar, headers: { cookie: 'extra=1' } });
      expect(seen.headers.cookie).toBe('theme=dark; extra=1');
    });
  });

  it('refuses a path without a leading slash', async () => {
    await expect(client.get('relative')).rejects.toThrow(TypeError);
  });

  it('describes a response in one line for assertion messages', async () => {
    const response = await client.get('/problem');
    expect(describeResponse(response)).toBe(
      'GET /problem → 401 application/problem+json {"code":"unauthenticated"}',
    );
  });
});
