import type { ParsedMail } from 'mailparser';

/** One mail as the catcher keeps it and its HTTP API returns it. */
export interface CaughtMail {
  readonly id: string;
  readonly from: string;
  /** The envelope's recipients (RCPT TO), which include Bcc. */
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** The HTML part, or `null` without one; never rendered by the catcher's page. */
  readonly html: string | null;
  /** When the SMTP transaction ended, ISO 8601. */
  readonly receivedAt: string;
  /** Every http(s) link of the text and of the HTML's `href`s, in order, each once. */
  readonly links: readonly string[];
}

/** What the SMTP listener knows of one mail besides its parsed content. */
export interface Envelope {
  readonly id: string;
  readonly mailFrom: string | null;
  readonly rcptTo: readonly string[];
  readonly receivedAt: Date;
}

/** An http(s) URL in running text, ending before white space, quotes and angle brackets. */
export const URL_IN_TEXT = /https?:\/\/[^\s<>"'`]+/g;
const HREF = /href\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;
/** Punctuation that closes a sentence rather than the URL (`see https://x/a.`). */
const TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;

/** The http(s) links of a mail's text and HTML, in order of appearance, each once. */
export function linksIn(text: string, html: string | null): string[] {
  const found = [...text.matchAll(URL_IN_TEXT)].map(([url]) => trimUrl(url));
  if (html !== null) {
    for (const match of html.matchAll(HREF)) {
      const href = decodeEntities(match[1] ?? match[2] ?? '').trim();
      if (/^https?:\/\//i.test(href)) found.push(href);
    }
  }
  return [...new Set(found)];
}

/** A URL found in text, without the sentence's punctuation after it. */
export function trimUrl(url: string): string {
  return url.replace(TRAILING_PUNCTUATION, '');
}

/** The few entities an `href` carries in practice (`&amp;` between query parameters). */
function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The catcher's record of a parsed mail. */
export function toCaughtMail(parsed: ParsedMail, envelope: Envelope): CaughtMail {
  const text = parsed.text ?? '';
  const html = typeof parsed.html === 'string' ? parsed.html : null;
  return {
    id: envelope.id,
    from: parsed.from?.text ?? envelope.mailFrom ?? '',
    to: envelope.rcptTo,
    subject: parsed.subject ?? '',
    text,
    html,
    receivedAt: envelope.receivedAt.toISOString(),
    links: linksIn(text, html),
  };
}
