import { callApi, describeFailure, isRecord } from './api.js';

/** What the gateway tells the page at `/demo/config.json`. */
export interface DemoConfig {
  readonly shopOrigin: string;
  readonly apiOrigin: string;
  readonly cartOrigin: string;
  readonly authOrigin: string;
  readonly sessionCookieName: string;
  /** The mail catcher's page, where the lab's mail lands; `null` when the gateway does not know one. */
  readonly mailCatcherOrigin: string | null;
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
  return Object.freeze({
    shopOrigin,
    apiOrigin,
    cartOrigin,
    authOrigin,
    sessionCookieName: body['sessionCookieName'],
    mailCatcherOrigin: optionalOrigin(body['mailCatcherOrigin']),
  });
}

function optionalOrigin(value: unknown): string | null {
  return typeof value === 'string' && URL.canParse(value) ? new URL(value).origin : null;
}
