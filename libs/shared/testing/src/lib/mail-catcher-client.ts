import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { findFreePorts } from './free-port';
import { ServiceProcess } from './service-process';
import type { Service } from './service-process';

/** One mail as the catcher's API returns it (apps/mail-catcher, `CaughtMail`). */
export interface CaughtMail {
  readonly id: string;
  readonly from: string;
  /** The envelope's recipients. */
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string | null;
  /** ISO 8601. */
  readonly receivedAt: string;
  /** The mail's http(s) links, in order, each once. */
  readonly links: readonly string[];
}

/** The mail catcher of a started system: what the services mailed, read over its HTTP API. */
export interface MailCatcherClient {
  /** The catcher's page and API, e.g. `http://mail.localhost:41234`. */
  readonly process: Service;
  /** What AUTH's `SMTP_URL` is set to. */
  readonly smtpUrl: string;
  /** The kept mails, newest first; with `to`, only those to that address. */
  messages(to?: string): Promise<CaughtMail[]>;
  /**
   * The newest mail to `to` that satisfies `predicate`, polling until one
   * arrives; rejects after `timeoutMs` with the subjects that did arrive.
   */
  waitForMail(
    to: string,
    predicate?: (mail: CaughtMail) => boolean,
    timeoutMs?: number,
  ): Promise<CaughtMail>;
  /** The token of the mail's `#<fragmentKey>=<token>` link (see `fragmentToken`). */
  linkIn(mail: CaughtMail, fragmentKey: string): string;
  /** Forgets every kept mail. */
  clear(): Promise<void>;
}

/** The catcher's built entry point, relative to the workspace root. */
export const MAIL_CATCHER_ENTRY_POINT = join('dist', 'apps', 'mail-catcher', 'main.js');

const POLL_INTERVAL_MS = 100;

/**
 * The token of the first link in `mail` whose fragment is `#<fragmentKey>=<token>`
 * (e.g. `verify-email`), percent-decoded; throws, listing the links, when none is.
 */
export function fragmentToken(mail: CaughtMail, fragmentKey: string): string {
  for (const link of mail.links) {
    const hash = new URL(link).hash.slice(1);
    const separator = hash.indexOf('=');
    if (separator > 0 && hash.slice(0, separator) === fragmentKey) {
      return decodeURIComponent(hash.slice(separator + 1));
    }
  }
  throw new Error(
    `e2e: no #${fragmentKey}=… link in the mail "${mail.subject}" to ${mail.to.join(', ')}; its links: ${mail.links.join(' ') || '(none)'}`,
  );
}

/**
 * Starts the built mail catcher on two free ports (HTTP and SMTP) on
 * loopback, resolves once it answers `GET /health/live`, and returns its
 * client. `started` receives the process, so that the system stops it.
 */
export async function startMailCatcher(options: {
  root: string;
  env: Readonly<Record<string, string>>;
  started: ServiceProcess[];
  readyTimeoutMs?: number;
}): Promise<MailCatcherClient> {
  const [httpPort, smtpPort] = await findFreePorts(2);
  const catcher = await ServiceProcess.start({
    name: 'mail-catcher',
    script: MAIL_CATCHER_ENTRY_POINT,
    cwd: options.root,
    port: httpPort,
    origin: `http://mail.localhost:${httpPort}`,
    readyPath: '/health/live',
    readyTimeoutMs: options.readyTimeoutMs,
    env: {
      ...options.env,
      HOST: '127.0.0.1',
      PORT: String(httpPort),
      SMTP_PORT: String(smtpPort),
    },
  });
  options.started.push(catcher);
  return mailCatcherClient(catcher, `smtp://127.0.0.1:${smtpPort}`);
}

/** A client of the catcher `process`, whose SMTP server is `smtpUrl`. */
export function mailCatcherClient(process: Service, smtpUrl: string): MailCatcherClient {
  const call = async (method: 'GET' | 'DELETE', path: string): Promise<unknown> => {
    const response = await request(`${process.url}${path}`, { method });
    const text = await response.body.text();
    if (response.statusCode >= 300) {
      throw new Error(
        `e2e: the mail catcher answered ${method} ${path} with ${response.statusCode}: ${text}`,
      );
    }
    return text === '' ? undefined : JSON.parse(text);
  };
  const messages = async (to?: string): Promise<CaughtMail[]> => {
    const query = to === undefined ? '' : `?to=${encodeURIComponent(to)}`;
    const body = (await call('GET', `/api/messages${query}`)) as { messages: CaughtMail[] };
    return body.messages;
  };
  return {
    process,
    smtpUrl,
    messages,
    async waitForMail(to, predicate = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mails = await messages(to);
        const found = mails.find(predicate);
        if (found !== undefined) return found;
        if (Date.now() >= deadline) {
          const seen = mails.map((mail) => `"${mail.subject}"`).join(', ') || 'none';
          throw new Error(
            `e2e: no matching mail to ${to} within ${timeoutMs} ms (mails to that address: ${seen})`,
          );
        }
        await sleep(POLL_INTERVAL_MS);
      }
    },
    linkIn: fragmentToken,
    async clear() {
      await call('DELETE', '/api/messages');
    },
  };
}
