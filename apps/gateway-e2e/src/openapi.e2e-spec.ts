import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Service, SystemUnderTest } from '@svt/shared/testing';
import { expectProblem, findWorkspaceRoot, http, startSystem } from '@svt/shared/testing';

let sut: SystemUnderTest;

beforeAll(async () => {
  sut = await startSystem();
}, 120_000);

afterAll(async () => {
  await sut?.stop();
});

/** The committed documents are what the code generates (`npm run docs:openapi` updates them). */
describe.each([
  ['auth', (s: SystemUnderTest): Service => s.auth],
  ['gateway', (s: SystemUnderTest): Service => s.shop],
  ['cart', (s: SystemUnderTest): Service => s.cart],
] as const)('the %s OpenAPI document', (name, serviceOf) => {
  it(`is served at /docs/openapi.json and equals docs/openapi/${name}.json`, async () => {
    const response = await http(serviceOf(sut)).get('/docs/openapi.json');
    expect(response.status).toBe(200);
    const committed: unknown = JSON.parse(
      await readFile(join(findWorkspaceRoot(), 'docs', 'openapi', `${name}.json`), 'utf8'),
    );
    // Nothing run-dependent (origins, ports) is in the document: compared as it is.
    expect(response.json).toEqual(committed);
  });

  it('is OpenAPI 3.1 with a relative server and both security schemes', async () => {
    const { json } = await http(serviceOf(sut)).get('/docs/openapi.json');
    expect(json).toMatchObject({
      openapi: '3.1.0',
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: '__Host-Http-sid' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    });
  });

  it('serves the Swagger UI from this origin, without an inline script', async () => {
    const client = http(serviceOf(sut));
    const page = await client.get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).not.toMatch(/<script>|https?:\/\//);
    const bundle = await client.get('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/^text\/javascript/);
  });
});

describe('the gateway started with DOCS_PUBLIC=false', () => {
  let gateway: Service;

  beforeAll(async () => {
    gateway = await sut.startReplica('gateway', { DOCS_PUBLIC: 'false' });
  }, 60_000);

  it.each(['/docs', '/docs/openapi.json', '/docs/swagger-ui-bundle.js'])(
    'answers 404 on %s',
    async (path) => {
      expectProblem(await http(gateway).get(path), 404, 'not_found');
    },
  );

  it('still serves the API', async () => {
    expect((await http(gateway).get('/.well-known/jwks.json')).status).toBe(200);
  });
});
