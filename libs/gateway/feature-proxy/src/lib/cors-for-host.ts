import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import fastifyCors from '@fastify/cors';
import type { FastifyCorsOptions } from '@fastify/cors';

/**
 * CORS on one host name only, decided by `Host` with one comparison per
 * request: `@fastify/cors` answers the protocol there, with `options`
 * normalized once; requests to any other name skip it. The gateway is
 * same-origin for SHOP's pages under SHOP's name, its busiest by far, and
 * another origin only under its sibling name.
 *
 * The plugin adds its request hook to the instance it is given; it is given
 * a view of `fastify` that hands that hook back, to run behind the host
 * check (what Nest's `enableCors` does to run it before Nest's middleware).
 * Everything else it registers (the preflight route, a request decorator)
 * goes to `fastify` itself.
 */
export async function corsForHost(
  fastify: FastifyInstance,
  host: string,
  options: FastifyCorsOptions,
): Promise<void> {
  let corsHook: onRequestHookHandler | undefined;
  const view: FastifyInstance = new Proxy(fastify, {
    get(target, property) {
      if (property === 'addHook') {
        return (name: string, hook: onRequestHookHandler) => {
          if (name !== 'onRequest') throw new Error(`@fastify/cors added a ${name} hook`);
          corsHook = hook;
          return view;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  await new Promise<void>((resolve, reject) =>
    fastifyCors(view, { ...options, hook: 'onRequest' }, (error?: Error) =>
      error ? reject(error) : resolve(),
    ),
  );
  const hook = corsHook;
  if (!hook) throw new Error('@fastify/cors added no request hook');
  fastify.addHook('onRequest', function corsOnItsHost(request, reply, done) {
    if (request.headers.host === host) return hook.call(this, request, reply, done);
    done();
  });
}
