// The one upstream every benchmark scenario forwards to: it stands in for both
// AUTH (its JWKS and health) and CART (a fixed cart for any other request), so
// the gateways under test differ only in what they do in between.
//
// Env: PORT (0 picks a free port), JWKS_URL (the real auth service's JWKS);
// for `npm run bench -- --scale`: EXTRA_JWKS, public keys (a JSON array of
// JWKs) relayed beside AUTH's, whose tokens the bench signs itself by the
// thousand; COUNT_IDENTITY_TOKENS=true, to count the distinct identity tokens
// the gateway forwards (each one a signature at the gateway) at
// GET /bench/identity-tokens, reset by DELETE.
import Fastify from 'fastify';
import { request } from 'undici';

const { PORT = '0', JWKS_URL, EXTRA_JWKS = '[]', COUNT_IDENTITY_TOKENS } = process.env;
if (!JWKS_URL) {
  console.error('JWKS_URL is required: the JWKS of the auth service that signs the tokens.');
  process.exit(1);
}
const extraKeys = JSON.parse(EXTRA_JWKS);
const identityTokens = new Set();

const CART = JSON.stringify({
  items: [{ sku: 'tea-earl-grey', quantity: 2 }],
  updatedAt: '2026-01-01T00:00:00.000Z',
});

const app = Fastify({ logger: false });

// Accept any body, of any type, and ignore it.
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null));

// Fetched per request, not cached: the set changes when auth rotates its keys.
app.get('/.well-known/jwks.json', async (_request, reply) => {
  const response = await request(JWKS_URL);
  const jwks = await response.body.text();
  if (response.statusCode !== 200 || extraKeys.length === 0) {
    return reply.code(response.statusCode).type('application/json').send(jwks);
  }
  const { keys } = JSON.parse(jwks);
  return reply.type('application/json').send({ keys: [...keys, ...extraKeys] });
});

if (COUNT_IDENTITY_TOKENS === 'true') {
  app.addHook('onRequest', async (request) => {
    const token = request.headers['x-identity-token'];
    if (typeof token === 'string') identityTokens.add(token);
  });
  app.get('/bench/identity-tokens', async () => ({ distinct: identityTokens.size }));
  app.delete('/bench/identity-tokens', async (_request, reply) => {
    identityTokens.clear();
    return reply.code(204).send();
  });
}

app.get('/health/live', async () => ({ status: 'ok' }));
app.get('/health/ready', async () => ({ status: 'ok' }));

app.setNotFoundHandler((_request, reply) => reply.type('application/json').send(CART));

await app.listen({ host: '127.0.0.1', port: Number(PORT) });
console.log(`listening on http://127.0.0.1:${app.server.address().port}`);

process.once('SIGTERM', async () => {
  await app.close();
  process.exit(0);
});
