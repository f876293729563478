/**
 * The DBSC header fields (W3C Device Bound Session Credentials draft),
 * all Structured Fields (RFC 9651): what the server writes, and the two
 * string fields a browser sends. Chromium sends those bare rather than as
 * quoted strings; both forms are read.
 */

/** On a login answer: register a session key with the endpoint at `path`. */
export const REGISTRATION_HEADER = 'secure-session-registration';
/** On a registration or refresh answer: the challenge the next proof signs. */
export const CHALLENGE_HEADER = 'secure-session-challenge';
/** On a registration or refresh request: the signed proof (a JWT). */
export const RESPONSE_HEADER = 'secure-session-response';
/** On a refresh request: which session to refresh. */
export const SESSION_ID_HEADER = 'sec-secure-session-id';

/** An sf-string (RFC 9651 §3.3.3): quoted, with `"` and `\` escaped. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (character) => `\\${character}`)}"`;
}

/** `(ES256);path="…";challenge="…"`: the only algorithm offered is ES256. */
export function registrationHeader(path: string, challenge: string): string {
  return `(ES256);path=${sfString(path)};challenge=${sfString(challenge)}`;
}

/** `"<challenge>";id="<session id>"`. */
export function challengeHeader(challenge: string, sessionId: string): string {
  return `${sfString(challenge)};id=${sfString(sessionId)}`;
}

/**
 * The string a request's header carries, as an sf-string or bare (parameters
 * after `;` ignored); undefined when absent, repeated or malformed.
 */
export function stringField(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const field = value.trim();
  if (!field.startsWith('"')) {
    const bare = field.split(';', 1)[0].trim();
    return /^[\x21-\x7e]+$/.test(bare) && !bare.includes('"') ? bare : undefined;
  }
  let text = '';
  for (let i = 1; i < field.length; i++) {
    const character = field[i];
    if (character === '"') return text;
    if (character === '\\') {
      const escaped = field[++i];
      if (escaped !== '"' && escaped !== '\\') return undefined;
      text += escaped;
    } else if (character < ' ' || character > '~') {
      return undefined;
    } else {
      text += character;
    }
  }
  return undefined;
}
