import { callApi, describeFailure, isRecord } from './api.js';

/** What the gateway tells the page at `/demo/config.json`. */
export interface DemoConfig {
  readonly shopOrigin: string;
  readonly apiOrigin: string;
  readonly cartOrigin: string;
  readonly authOrigin: string;
  readonly sessionCookieName: string;
  /** The development mail catcher's page, when the gateway names one. */
  readonly mailCatcherOrigin?: string;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: DemoConfig }
  | { readonly ok: false; readonly reason: string };

const ORIGIN_KEYS = ['shopOrigin', 'apiOrigin', 'cartOrigin', 'authOrigin'] as const;

export async function loadConfig(): Promise<ConfigResult> {
  const result = await callApi('/demo/config.json', { credentials: 'omit' });
  if (result.kind !== 'ok') {
    return {
      ok: false,
      reason: `Could not load the page's configuration: ${describeFailure(result)}`,
    };
  }
  const config = parseConfig(result.body);
  return config
    ? { ok: true, config }
    : { ok: false, reason: "The page's configuration is incomplete: a server bug." };
}

function parseConfig(body: unknown): DemoConfig | null {
  if (!isRecord(body) || typeof body['sessionCookieName'] !== 'string') return null;
  const origins: Partial<Record<(typeof ORIGIN_KEYS)[number], string>> = {};
  for (const key of ORIGIN_KEYS) {
    const value = body[key];
    if (typeof value !== 'string' || !URL.canParse(value)) return null;
    origins[key] = new URL(value).origin;
  }
  const { shopOrigin, apiOrigin, cartOrigin, authOrigin } = origins;
  if (!shopOrigin || !apiOrigin || !cartOrigin || !authOrigin) return null;
  const mailCatcher = body['mailCatcherOrigin'];
  if (mailCatcher !== undefined && (typeof mailCatcher !== 'string' || !URL.canParse(mailCatcher)))
    return null;
  return Object.freeze({
    shopOrigin,
    apiOrigin,
    cartOrigin,
    authOrigin,
    sessionCookieName: body['sessionCookieName'],
    ...(mailCatcher === undefined ? {} : { mailCatcherOrigin: new URL(mailCatcher).origin }),
  });
}
