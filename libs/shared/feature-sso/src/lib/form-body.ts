import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { errorCodes } from 'fastify';

const FORM = 'application/x-www-form-urlencoded';

/**
 * Lets `application/x-www-form-urlencoded` bodies in on `paths` only, as
 * their raw text: AUTH posts logout tokens as a form (Back-Channel Logout
 * §2.5), and a sign-out form posts without script. Every other route keeps
 * refusing forms with 415 exactly as before, so a CSRF "simple request"
 * still cannot reach them. For apps that parse JSON only (`bodies: 'json'`);
 * an app keeping raw bodies hands the form to these routes as bytes already.
 */
export function acceptFormsOn(app: NestFastifyApplication, paths: readonly string[]): void {
  const allowed = new Set(paths);
  app
    .getHttpAdapter()
    .getInstance()
    .addContentTypeParser(FORM, { parseAs: 'string' }, (request, body, done) => {
      if (allowed.has(request.routeOptions.url ?? '')) {
        done(null, body);
        return;
      }
      done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(FORM), undefined);
    });
}

/** The fields of a form body, whether it arrived as text (`acceptFormsOn`) or as raw bytes. */
export function formFields(body: unknown): URLSearchParams {
  if (typeof body === 'string') return new URLSearchParams(body);
  if (Buffer.isBuffer(body)) return new URLSearchParams(body.toString('utf8'));
  return new URLSearchParams();
}
