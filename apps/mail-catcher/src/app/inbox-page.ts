import type { CaughtMail } from './caught-mail';
import { URL_IN_TEXT, trimUrl } from './caught-mail';

/**
 * The page's Content-Security-Policy: no script at all and nothing loaded
 * from elsewhere, so a mail's content cannot run in the catcher's origin even
 * if escaping missed something.
 */
export const INBOX_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for an HTML element's content and a quoted attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ENTITIES[char]);
}

/** A mail's text, escaped, with its http(s) URLs as links that open in a new tab. */
export function linkify(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const url = trimUrl(match[0]);
    const start = match.index;
    html += escapeHtml(text.slice(last, start));
    html += `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(url)}</a>`;
    last = start + url.length;
  }
  return html + escapeHtml(text.slice(last));
}

/** The catcher's one page: every kept mail, newest first, as text (a mail's HTML is never rendered). */
export function renderInboxPage(mails: readonly CaughtMail[]): string {
  const items =
    mails.length === 0
      ? '<p class="empty">No mail yet. Mail sent to this catcher over SMTP shows up here.</p>'
      : mails.map(renderMail).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mail catcher (${mails.length})</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1d2430; }
header { display: flex; align-items: baseline; justify-content: space-between; }
article { border: 1px solid #d0d7e2; border-radius: 6px; margin: 1rem 0; padding: 0.75rem 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.75rem; margin: 0 0 0.5rem; }
dt { color: #5a6577; } dd { margin: 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f5f7fa; padding: 0.6rem; border-radius: 4px; margin: 0; }
.empty { color: #5a6577; }
</style>
</head>
<body>
<header><h1>Mail catcher</h1><a href="/">Refresh</a></header>
<p>Development only: every mail sent to this SMTP server is kept here (the last 500, in memory) and delivered nowhere.</p>
${items}
</body>
</html>
`;
}

function renderMail(mail: CaughtMail): string {
  return `<article id="mail-${escapeHtml(mail.id)}">
<h2>${escapeHtml(mail.subject || '(no subject)')}</h2>
<dl>
<dt>From</dt><dd>${escapeHtml(mail.from)}</dd>
<dt>To</dt><dd>${escapeHtml(mail.to.join(', '))}</dd>
<dt>Received</dt><dd><time datetime="${escapeHtml(mail.receivedAt)}">${escapeHtml(mail.receivedAt)}</time></dd>
</dl>
<pre>${linkify(mail.text)}</pre>
</article>`;
}
