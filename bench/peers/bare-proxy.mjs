// Peer "bare proxy": the floor for a Node gateway. Fastify and an undici pool,
// no auth, no Nest: every request goes to UPSTREAM_URL with the same path and
// query. Bodies are buffered both ways, as the gateway under test does, so the
// difference between the two is what the gateway adds on top.
//
// Env: PORT (0 picks a free port), UPSTREAM_URL.
import Fastify from 'fastify';
import { Pool } from 'undici';

const { PORT = '0', UPSTREAM_URL } = process.env;
if (!UPSTREAM_URL) {
  console.error('UPSTREAM_URL is required.');
  process.exit(1);
}

// RFC 9110 §7.6.1 hop-by-hop fields, plus host and content-length, which each
// hop sets for itself.
const NOT_FORWARDED = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** Drops hop-by-hop fields, including any the Connection field names (§7.6.1). */
function endToEnd(headers) {
  const named = String(headers.connection ?? '')
    .toLowerCase()
    .split(/\s*,\s*/);
  return Object.fromEntries(
    Object.entries(headers).filter(
      ([name, value]) => value !== undefined && !NOT_FORWARDED.has(name) && !named.includes(name),
    ),
  );
}

const upstream = new Pool(new URL(UPSTREAM_URL).origin, { connections: 64 });
const app = Fastify({ logger: false });

app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

app.all('/*', async (request, reply) => {
  const response = await upstream.request({
    method: request.method,
    path: request.url,
    headers: endToEnd(request.headers),
    body: request.body?.length ? request.body : undefined,
  });
  const body = Buffer.from(await response.body.arrayBuffer());
  return reply.code(response.statusCode).headers(endToEnd(response.headers)).send(body);
});

await app.listen({ host: '127.0.0.1', port: Number(PORT) });
console.log(`listening on http://127.0.0.1:${app.server.address().port}`);

process.once('SIGTERM', async () => {
  await app.close();
  await upstream.close();
  process.exit(0);
});
