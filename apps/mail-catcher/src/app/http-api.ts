import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { INBOX_PAGE_CSP, renderInboxPage } from './inbox-page';
import { isLoopbackHost } from './loopback-host';
import type { Mailbox } from './mailbox';

/**
 * The catcher's HTTP side: the page for a person, the JSON API for tests and
 * tools. No authentication: it is reachable only where it runs (loopback, or
 * 127.0.0.1 on the compose host), and answers only requests addressed to a
 * loopback name (see `isLoopbackHost`); no CORS, so no other site's page
 * reads or clears it.
 */
export function createHttpApi(mailbox: Mailbox): FastifyInstance {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (request, reply) => {
    if (isLoopbackHost(request.headers.host)) return;
    // RFC 9110 §15.5.20: this server does not answer for that name.
    await reply.code(421).type('application/problem+json').send({
      type: 'about:blank',
      title: 'Misdirected Request',
      status: 421,
      detail: 'The mail catcher answers only to localhost, *.localhost and loopback addresses.',
    });
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
  });

  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', INBOX_PAGE_CSP)
      .send(renderInboxPage(mailbox.list())),
  );
  app.get<{ Querystring: { to?: string } }>('/api/messages', async (request) => ({
    messages: mailbox.list(typeof request.query.to === 'string' ? request.query.to : undefined),
  }));
  app.get<{ Params: { id: string } }>('/api/messages/:id', async (request, reply) => {
    const mail = mailbox.find(request.params.id);
    if (mail !== null) return mail;
    return reply.code(404).type('application/problem+json').send({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'No kept mail has this id.',
    });
  });
  app.delete('/api/messages', async (_request, reply) => {
    mailbox.clear();
    return reply.code(204).send();
  });
  // Both listen before the process says it started: live is ready (the images' HEALTHCHECK asks for ready).
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async () => ({ status: 'ok' }));
  return app;
}
