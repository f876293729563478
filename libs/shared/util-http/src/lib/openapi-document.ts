import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HeadersObject, OpenAPIObject, PathItemObject, SchemaObject } from '@nestjs/swagger';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ERROR_CATALOG } from '@svt/shared/util-errors';
import { BEARER_SCHEME, DPOP_SCHEME, SESSION_SCHEME } from './openapi-decorators';

/** What a documented service says about itself. */
export interface OpenApiOptions {
  readonly title: string;
  readonly description: string;
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  /** Paths no decorator can describe (e.g. a proxy's wildcard routes), merged in as they are. */
  readonly extraPaths?: Readonly<Record<string, PathItemObject>>;
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
      'RFC 6750 §3: `Bearer realm="svt"`, with `error="invalid_token"` when a token was presented; RFC 9449 §7.1: `DPoP algs="ES256", error="invalid_dpop_proof"` (or `use_dpop_nonce`) when a DPoP proof was refused.',
    schema: {
      type: 'string',
      examples: [
        'Bearer realm="svt", error="invalid_token"',
        'DPoP algs="ES256", error="use_dpop_nonce"',
      ],
    },
  },
  'DPoP-Nonce': {
    description:
      'RFC 9449 §8, §9: the server nonce the next DPoP proof must carry (services run with `DPOP_NONCE_REQUIRED=true`).',
    schema: { type: 'string', examples: ['p1x2ab.kq3nD0YyJ1m6tqf8ZQv7Lw'] },
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
      '__Host-Http-sid',
      {
        type: 'apiKey',
        in: 'cookie',
        name: '__Host-Http-sid',
        description:
          'The session cookie (`HttpOnly; Secure; Path=/`): the shop’s, set by `POST /auth/session` and by single sign-on at SHOP, is `SameSite=Strict`; the cart site’s, set by single sign-on at CART, is `SameSite=Lax`. Cookie-authenticated `POST`/`PUT`/`PATCH`/`DELETE` also need `X-CSRF-Token` and an allowed `Origin`.',
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
    )
    .addSecurity(DPOP_SCHEME, {
      type: 'http',
      scheme: 'dpop',
      description:
        'RFC 9449: `Authorization: DPoP <access token>` from a token login that sent a proof (`token_type: "DPoP"`), with a fresh `DPoP` proof header per request, made by the same key for this method and URL. A bound token sent as Bearer is refused.',
    });
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
