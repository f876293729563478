import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { OpenApiOptions } from './openapi-document';
import { createOpenApiDocument } from './openapi-document';

/** The Swagger UI files served under `/docs/`, from the installed `swagger-ui-dist`. */
const UI_FILES: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const INIT_JS = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/docs/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
});
`;

const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>API reference</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
  </head>
  <body>
    <noscript><a href="/docs/openapi.json">The OpenAPI document</a></noscript>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-init.js"></script>
  </body>
</html>
`;

/**
 * Only this origin's files: no CDN, no inline script. Swagger UI sets some
 * styles from script (CSSOM), which `style-src 'self'` allows.
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Swagger UI's files come with `@nestjs/swagger` (its `swagger-ui-dist`
 * dependency, pinned by it): resolved from there, not as a package of ours.
 */
function uiAssetsDir(): string {
  const fromSwagger = createRequire(createRequire(__filename).resolve('@nestjs/swagger'));
  const uiPackage = 'swagger-ui-dist';
  return dirname(fromSwagger.resolve(`${uiPackage}/package.json`));
}

/**
 * Serves `/docs` (Swagger UI, its assets from node_modules) and
 * `/docs/openapi.json`. These are plain Fastify routes beside Nest's router:
 * the global authentication guard does not see them, so they are public like
 * `@Public()` routes, and they are not part of the document they serve.
 */
export function setupOpenApi(app: NestFastifyApplication, options: OpenApiOptions): void {
  const document = createOpenApiDocument(app, options);
  const json = JSON.stringify(document);
  const dir = uiAssetsDir();
  const assets = new Map<string, { type: string; body: Buffer | string }>([
    ['swagger-init.js', { type: 'text/javascript; charset=utf-8', body: INIT_JS }],
    ...Object.entries(UI_FILES).map(
      ([name, type]) => [name, { type, body: readFileSync(join(dir, name)) }] as const,
    ),
  ]);
  const fastify = app.getHttpAdapter().getInstance();
  const send = (reply: FastifyReply, type: string, body: Buffer | string): FastifyReply =>
    reply
      .header('content-type', type)
      .header('content-security-policy', DOCS_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(body);
  fastify.get('/docs', (_request, reply) => send(reply, 'text/html; charset=utf-8', INDEX_HTML));
  fastify.get('/docs/openapi.json', (_request, reply) => send(reply, 'application/json', json));
  for (const [name, asset] of assets) {
    fastify.get(`/docs/${name}`, (_request, reply) => send(reply, asset.type, asset.body));
  }
}
