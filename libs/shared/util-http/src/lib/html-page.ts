import { createHash } from 'node:crypto';

/** A server-rendered page and the Content-Security-Policy it is served with. */
export interface HtmlPage {
  readonly body: string;
  readonly csp: string;
}

export interface HtmlPageOptions {
  readonly title: string;
  /** The page's content, already escaped (see `escapeHtml`). */
  readonly main: string;
  /**
   * Where its forms may lead, redirects included (CSP `form-action` follows
   * them): the origins a sign-in ends at. None by default.
   */
  readonly formActions?: readonly string[];
  /** A script of its own origin, by path, and what it may fetch (`connect-src 'self'`). */
  readonly script?: string;
  /** `<meta name content>` pairs for the script to read (e.g. a CSRF token), escaped here. */
  readonly meta?: Readonly<Record<string, string>>;
}

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1d2330}' +
  'h1{font-size:1.4rem}label{display:block;margin:.75rem 0 .25rem}' +
  'input{width:100%;padding:.5rem;box-sizing:border-box;font:inherit}' +
  'button,a.button{margin-top:1rem;padding:.5rem 1rem;font:inherit;cursor:pointer;display:inline-block}' +
  '.error{color:#a4161a}.muted{color:#5c6370;font-size:.9rem}' +
  'table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ddd}';

/** The one stylesheet, allowed by its hash: no inline style or script runs otherwise. */
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** `text` safe inside HTML text and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * A page with a strict policy: nothing loads but its own hashed style and, if
 * named, one script of its own origin; it may not be framed (clickjacking:
 * `frame-ancestors 'none'`, with X-Frame-Options for old browsers, set by the
 * caller); forms post only where `formActions` allow.
 */
export function htmlPage(options: HtmlPageOptions): HtmlPage {
  const formAction = options.formActions?.length ? options.formActions.join(' ') : "'none'";
  const script = options.script
    ? `<script src="${escapeHtml(options.script)}" defer></script>`
    : '';
  const meta = Object.entries(options.meta ?? {})
    .map(([name, content]) => `<meta name="${escapeHtml(name)}" content="${escapeHtml(content)}">`)
    .join('');
  const csp = [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    ...(options.script ? ["script-src 'self'", "connect-src 'self'"] : []),
    `form-action ${formAction}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  const body =
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    meta +
    `<title>${escapeHtml(options.title)}</title><style>${STYLE}</style>${script}</head>` +
    `<body>${options.main}</body></html>`;
  return { body, csp };
}
