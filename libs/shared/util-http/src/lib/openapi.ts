import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { applyDecorators } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type {
  HeadersObject,
  OpenAPIObject,
  PathItemObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiResponse,
  DocumentBuilder,
  SwaggerModule,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { ErrorCode } from './error-catalog';
import { AppError, ERROR_CATALOG } from './error-catalog';
import { toProblem } from './problem.filter';

/** Security scheme names, as operations reference them. */
export const SESSION_SCHEME = 'session';
export const BEARER_SCHEME = 'bearer';

/** Codes every authenticated route may answer: no or a bad credential, a store that cannot answer. */
export const AUTHENTICATED_PROBLEMS = [
  'unauthenticated',
  'invalid_token',
  'store_unavailable',
] as const satisfies readonly ErrorCode[];

/** Codes a cookie-authenticated change may also answer (Bearer requests need neither check). */
export const COOKIE_CHANGE_PROBLEMS = [
  'csrf_failed',
  'forbidden_origin',
] as const satisfies readonly ErrorCode[];

/** What a documented service says about itself. */
export interface OpenApiOptions {
  readonly title: string;
  readonly description: string;
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  /** Paths no decorator can describe (e.g. a proxy's wildcard routes), merged in as they are. */
  readonly extraPaths?: Readonly<Record<string, PathItemObject>>;
}

/** Examples of `detail` where the catalog title alone would say too little. */
const EXAMPLE_DETAILS: Partial<Record<ErrorCode, string>> = {
  validation_failed: 'One or more fields are invalid.',
  unauthenticated: 'No credential was sent: a session cookie or an Authorization header.',
  invalid_token: 'The access token has expired.',
  cart_full:
    'The cart already holds 100 different items, the most it may: change the quantity of one, or remove one first.',
  rate_limited: 'Too many attempts; try again in 30 seconds.',
  store_unavailable: 'The session store did not answer.',
};

function exampleProblem(code: ErrorCode): ReturnType<typeof toProblem> {
  return toProblem(
    new AppError(code, EXAMPLE_DETAILS[code] ?? ERROR_CATALOG[code].title, {
      ...(code === 'validation_failed'
        ? { errors: [{ field: 'email', message: 'must be an email address' }] }
        : {}),
    }),
  );
}

const HEADERS_BY_STATUS: Readonly<Record<number, Record<string, { $ref: string }>>> = {
  401: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } },
  429: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
};

/**
 * The problem responses an operation may answer, from the error catalog: one
 * response per status, one example per code. List every code of an operation
 * in one call: a second call for the same status would replace the first.
 */
export function ApiProblems(...codes: readonly ErrorCode[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...Object.entries(problemResponses(...codes)).map(([status, response]) =>
      ApiResponse({ status: Number(status), ...response }),
    ),
  );
}

/** The same responses as a plain OpenAPI `responses` fragment, for paths described by hand. */
export function problemResponses(...codes: readonly ErrorCode[]): Record<string, ResponseObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_CATALOG[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      String(status),
      {
        description: `Problem: ${group.map((code) => `\`${code}\``).join(', ')} (see docs/errors.md).`,
        ...(HEADERS_BY_STATUS[status] ? { headers: HEADERS_BY_STATUS[status] } : {}),
        content: {
          'application/problem+json': {
            schema: { $ref: '#/components/schemas/Problem' },
            examples: Object.fromEntries(
              group.map((code) => [
                code,
                { summary: ERROR_CATALOG[code].title, value: exampleProblem(code) },
              ]),
            ),
          },
        },
      },
    ]),
  );
}

/**
 * Marks an operation (or a controller) as needing a credential: the
 * `__Host-sid` session cookie or a Bearer access token, either one.
 */
export function ApiAuthenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiCookieAuth(SESSION_SCHEME), ApiBearerAuth(BEARER_SCHEME));
}

const PROBLEM_SCHEMAS: Record<string, SchemaObject> = {
  Problem: {
    type: 'object',
    description:
      'An RFC 9457 problem document. Clients branch on `code`, never on `title` or `detail`.',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: {
        type: 'string',
        format: 'uri',
        description: '`urn:svt:error:` followed by the code.',
        examples: ['urn:svt:error:validation_failed'],
      },
      title: { type: 'string', description: 'The same for every occurrence of a code.' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: { type: 'string', description: 'What happened this time; for people.' },
      code: {
        type: 'string',
        enum: Object.keys(ERROR_CATALOG),
        description: 'Stable; documented in docs/errors.md.',
      },
      errors: {
        type: 'array',
        description: 'Only with `validation_failed`: one entry per invalid field.',
        items: { $ref: '#/components/schemas/FieldError' },
      },
    },
  },
  FieldError: {
    type: 'object',
    required: ['field', 'message'],
    properties: {
      field: { type: 'string', examples: ['email'] },
      message: { type: 'string', examples: ['must be an email address'] },
    },
  },
  Health: {
    type: 'object',
    required: ['status'],
    properties: {
      status: { type: 'string', enum: ['ok', 'unavailable'] },
      checks: {
        type: 'object',
        additionalProperties: { type: 'string', enum: ['up', 'down'] },
        description: 'Readiness only: each dependency and whether it answers.',
      },
    },
  },
};

const RESPONSE_HEADERS: HeadersObject = {
  'WWW-Authenticate': {
    description:
      'RFC 6750 §3: `Bearer realm="svt"`, with `error="invalid_token"` when a token was presented.',
    schema: { type: 'string', examples: ['Bearer realm="svt", error="invalid_token"'] },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', minimum: 1, examples: [30] },
  },
};

/** `/health/*` lives in this library without decorators of its own: describe it here. */
function describeHealth(document: OpenAPIObject): void {
  const health = (summary: string, ready: boolean): void => {
    const operation = document.paths[`/health/${ready ? 'ready' : 'live'}`]?.get;
    if (!operation) return;
    operation.summary = summary;
    operation.tags = ['health'];
    const json = (example: unknown) => ({
      'application/json': {
        schema: { $ref: '#/components/schemas/Health' },
        examples: { example: { value: example } },
      },
    });
    operation.responses = {
      '200': {
        description: ready ? 'Every dependency answers.' : 'The process is up.',
        content: json(ready ? { status: 'ok', checks: { store: 'up' } } : { status: 'ok' }),
      },
      ...(ready
        ? {
            '503': {
              description: 'A dependency does not answer.',
              content: json({ status: 'unavailable', checks: { store: 'down' } }),
            },
          }
        : {}),
    };
  };
  health('Liveness', false);
  health('Readiness', true);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * OpenAPI 3.1 is JSON Schema 2020-12, which has no `nullable` (the generator
 * still writes the 3.0 form): `type: [T, 'null']`, or `anyOf` with a null.
 */
function toJsonSchemaNulls(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchemaNulls);
  if (node === null || typeof node !== 'object') return node;
  const entries = Object.entries(node).map(([key, value]) => [key, toJsonSchemaNulls(value)]);
  const { nullable, ...rest } = Object.fromEntries(entries) as Record<string, Json>;
  if (nullable !== true) return rest;
  if (typeof rest['type'] === 'string') return { ...rest, type: [rest['type'], 'null'] };
  const { description, ...schema } = rest;
  const single = Array.isArray(schema['allOf']) && schema['allOf'].length === 1;
  return {
    ...(description === undefined ? {} : { description }),
    anyOf: [single ? (schema['allOf'] as Json[])[0] : schema, { type: 'null' }],
  };
}

/**
 * The service's OpenAPI 3.1 document. It holds nothing that depends on the
 * run (no origin, no port), so the committed copy can be compared with it.
 */
export function createOpenApiDocument(
  app: NestFastifyApplication,
  options: OpenApiOptions,
): OpenAPIObject {
  let builder = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle(options.title)
    .setDescription(options.description)
    .setVersion('1.0.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'This service, at whatever origin serves the document.')
    .addCookieAuth(
      '__Host-sid',
      {
        type: 'apiKey',
        in: 'cookie',
        name: '__Host-sid',
        description:
          'The session cookie set by `POST /auth/session` (`HttpOnly; Secure; SameSite=Lax; Path=/`). Cookie-authenticated `POST`/`PUT`/`PATCH`/`DELETE` also need `X-CSRF-Token` and an allowed `Origin`.',
      },
      SESSION_SCHEME,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'An ES256 access token from `POST /auth/token`. An `Authorization` header wins over a cookie; an invalid one is 401, never a fall-back.',
      },
      BEARER_SCHEME,
    );
  for (const tag of options.tags) builder = builder.addTag(tag.name, tag.description);
  builder = builder.addTag('health', 'Liveness and readiness, for orchestrators.');
  const document = SwaggerModule.createDocument(app, builder.build(), {
    operationIdFactory: (controller, method) =>
      `${controller.replace(/Controller$/, '')}_${method}`,
  });
  document.paths = { ...document.paths, ...options.extraPaths };
  describeHealth(document);
  // The global guard denies by default: an operation that names no scheme is public; say so.
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (operation && !operation.security) operation.security = [];
    }
  }
  const used = JSON.stringify(document.paths);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...PROBLEM_SCHEMAS },
    headers: Object.fromEntries(
      Object.entries(RESPONSE_HEADERS).filter(([name]) =>
        used.includes(`#/components/headers/${name}`),
      ),
    ),
  };
  return toJsonSchemaNulls(document as unknown as Json) as unknown as OpenAPIObject;
}

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
