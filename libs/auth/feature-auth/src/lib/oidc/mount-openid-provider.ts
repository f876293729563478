import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LoginForm } from './login-page.service';
import { LoginPageService } from './login-page.service';
import { OIDC_PATHS } from './oidc-paths';
import { OpenIdProvider } from './openid-provider';

/** The login form is a few short fields: anything larger is refused before parsing. */
const LOGIN_FORM_LIMIT = 4096;

/**
 * Serves the OpenID Provider beside the Nest routes, in two Fastify contexts
 * of their own, so that the JSON-only parsing of the API (which refuses the
 * form encodings of CSRF "simple requests") stays as it is:
 * - the provider's routes, handed the raw request with its body unread
 *   (oidc-provider parses its own forms, e.g. at the token endpoint);
 * - AUTH's login page, whose form posts `application/x-www-form-urlencoded`.
 */
export async function mountOpenIdProvider(app: NestFastifyApplication): Promise<void> {
  const openId = app.get(OpenIdProvider);
  const login = app.get(LoginPageService);
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;

  await fastify.register(async (provider) => {
    provider.removeAllContentTypeParsers();
    provider.addContentTypeParser('*', (_request, _payload, done) => done(null));
    const serve = (request: FastifyRequest, reply: FastifyReply): void => {
      reply.hijack();
      openId.handle(request.raw, reply.raw);
    };
    provider.all(OIDC_PATHS.discovery, serve);
    provider.all(`${OIDC_PATHS.prefix}*`, serve);
  });

  await fastify.register(async (page) => {
    page.removeAllContentTypeParsers();
    page.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: LOGIN_FORM_LIMIT },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const path = OIDC_PATHS.interaction(':uid');
    page.get<{ Params: { uid: string } }>(path, (request, reply) =>
      login.show(request, reply, request.params.uid),
    );
    page.post<{ Params: { uid: string }; Body: LoginForm }>(path, (request, reply) =>
      login.submit(request, reply, request.params.uid, request.body ?? {}),
    );
  });
}
