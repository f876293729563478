import type { DeviceBinding, Expiring } from './device-binding';
import { DEFAULT_AMR, parseRecord } from './session-records';
import type { SessionRecord } from './session-store';

/**
 * The first byte of a compact record. Records stored before it existed are
 * JSON objects, whose first byte is always `{`; a new layout takes a new
 * marker, so every value ever written stays readable.
 */
const COMPACT_V1 = 0x01;
/** `COMPACT_V1`'s fields, then the device binding (see `writeBinding`). */
const COMPACT_V2 = 0x02;
/**
 * `COMPACT_V1`'s fields, then the authentication (amr as one space-separated
 * string, auth_time relative to the creation time), then a byte 0 or 1 and,
 * after a 1, the device binding.
 */
const COMPACT_V3 = 0x03;
const JSON_OBJECT = 0x7b;

/** How a string field is written: a tag byte, then its bytes. */
const Tag = {
  Null: 0,
  /** Length (LEB128) and UTF-8 bytes. */
  Text: 1,
  /** A lowercase UUID as its 16 bytes. */
  Uuid: 2,
  /** 43 base64url characters (a 32-byte secret) as those 32 bytes. */
  Base64Url32: 3,
  /** A dotted-quad IPv4 address as its 4 bytes. */
  Ipv4: 4,
  /** Like `Text`, with the common user-agent fragments below as single bytes 0x01–0x1f. */
  Fragments: 5,
} as const;

/**
 * Fragments shared by nearly every browser's User-Agent. Fixed for
 * `COMPACT_V1`: a byte written for one of them must read back as the same one
 * forever, so the list changes only under a new marker. Control characters
 * other than HTAB cannot occur in a header value (RFC 9110, section 5.5),
 * which frees bytes 0x01–0x1f to stand for fragments; a string holding any
 * control character is written as `Text`.
 */
const UA_FRAGMENTS: readonly string[] = [
  'Mozilla/5.0 (',
  ') AppleWebKit/537.36 (KHTML, like Gecko) Chrome/',
  '.0.0.0 Safari/537.36',
  '.0.0.0 Mobile Safari/537.36',
  'Windows NT 10.0; Win64; x64',
  'Macintosh; Intel Mac OS X 10_15_7',
  'Macintosh; Intel Mac OS X 10.15',
  'X11; Linux x86_64',
  'X11; Ubuntu; Linux x86_64',
  'Linux; Android 10; K',
  '; rv:',
  ') Gecko/20100101 Firefox/',
  ') AppleWebKit/605.1.15 (KHTML, like Gecko) Version/',
  ' Safari/605.1.15',
  ' Mobile/15E148 Safari/604.1',
  'iPhone; CPU iPhone OS ',
  'iPad; CPU OS ',
  ' like Mac OS X',
  ' Edg/',
  '.0.0.0',
];

// Longest first: at each position the regular expression takes the first
// alternative that matches, which is then the longest fragment there.
const FRAGMENT_PATTERN = new RegExp(
  [...UA_FRAGMENTS]
    .sort((a, b) => b.length - a.length)
    .map((fragment) => fragment.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('|'),
  'g',
);
// eslint-disable-next-line no-control-regex -- control characters are the fragment bytes
const CONTROL = /[\u0000-\u001f]/;
// eslint-disable-next-line no-control-regex -- control characters are the fragment bytes
const FRAGMENT_BYTES = /[\u0001-\u001f]/g;

/** A lone surrogate, which UTF-8 cannot carry (JSON escapes it instead). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;
const HEX_64 = /^[0-9a-f]{64}$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
/** Integers whose zigzag form is still a safe integer. */
const MAX_MAGNITUDE = 2 ** 51;

class Writer {
  readonly #bytes: number[] = [];

  byte(value: number): void {
    this.#bytes.push(value);
  }

  /** Zigzag LEB128, in arithmetic rather than 32-bit bitwise operators: timestamps need 41 bits. */
  integer(value: number): void {
    let rest = value >= 0 ? value * 2 : -value * 2 - 1;
    while (rest >= 0x80) {
      this.#bytes.push((rest % 0x80) + 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.#bytes.push(rest);
  }

  raw(bytes: Uint8Array): void {
    for (const byte of bytes) this.#bytes.push(byte);
  }

  lengthPrefixed(bytes: Buffer): void {
    this.integer(bytes.length);
    this.raw(bytes);
  }

  buffer(): Buffer {
    return Buffer.from(this.#bytes);
  }
}

class Reader {
  readonly #bytes: Buffer;
  #at = 1;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  byte(): number {
    if (this.#at >= this.#bytes.length) throw malformed();
    return this.#bytes[this.#at++];
  }

  integer(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
      if (scale > MAX_MAGNITUDE * 2) throw malformed();
    }
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }

  raw(length: number): Buffer {
    if (length < 0 || this.#at + length > this.#bytes.length) throw malformed();
    const bytes = this.#bytes.subarray(this.#at, this.#at + length);
    this.#at += length;
    return bytes;
  }

  end(): void {
    if (this.#at !== this.#bytes.length) throw malformed();
  }
}

function malformed(): TypeError {
  return new TypeError('Stored session is malformed');
}

function compactInteger(value: number): boolean {
  return Number.isSafeInteger(value) && Math.abs(value) <= MAX_MAGNITUDE;
}

function writeString(writer: Writer, value: string | null): void {
  if (value === null) {
    writer.byte(Tag.Null);
  } else if (UUID.test(value)) {
    writer.byte(Tag.Uuid);
    writer.raw(Buffer.from(value.replace(/-/g, ''), 'hex'));
  } else if (base64Url32(value) !== null) {
    writer.byte(Tag.Base64Url32);
    writer.raw(Buffer.from(value, 'base64url'));
  } else if (IPV4.test(value)) {
    writer.byte(Tag.Ipv4);
    writer.raw(Uint8Array.from(value.split('.'), Number));
  } else if (!CONTROL.test(value)) {
    const shortened = value.replace(FRAGMENT_PATTERN, (fragment) =>
      String.fromCharCode(UA_FRAGMENTS.indexOf(fragment) + 1),
    );
    writer.byte(shortened.length < value.length ? Tag.Fragments : Tag.Text);
    writer.lengthPrefixed(Buffer.from(shortened, 'utf8'));
  } else {
    writer.byte(Tag.Text);
    writer.lengthPrefixed(Buffer.from(value, 'utf8'));
  }
}

/** The 32 bytes of a base64url string, or null when decoding would not give it back exactly. */
function base64Url32(value: string): Buffer | null {
  if (!BASE64URL_43.test(value)) return null;
  const bytes = Buffer.from(value, 'base64url');
  return bytes.length === 32 && bytes.toString('base64url') === value ? bytes : null;
}

function readString(reader: Reader): string | null {
  const tag = reader.byte();
  switch (tag) {
    case Tag.Null:
      return null;
    case Tag.Text:
      return reader.raw(reader.integer()).toString('utf8');
    case Tag.Uuid: {
      const hex = reader.raw(16).toString('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    case Tag.Base64Url32:
      return reader.raw(32).toString('base64url');
    case Tag.Ipv4:
      return [...reader.raw(4)].join('.');
    case Tag.Fragments:
      return reader
        .raw(reader.integer())
        .toString('utf8')
        .replace(FRAGMENT_BYTES, (byte) => {
          const fragment = UA_FRAGMENTS[byte.charCodeAt(0) - 1];
          if (fragment === undefined) throw malformed();
          return fragment;
        });
    default:
      throw malformed();
  }
}

/**
 * A record as a Redis value: the compact layout (see `RedisSessionStore`)
 * when every field fits it, else JSON as records were stored before it (a
 * number that is not a safe integer, a string that is not well-formed
 * UTF-16), which `decodeSessionValue` reads as well. The id hash is not in the
 * compact value: it is the key.
 */
export function encodeSessionValue(record: SessionRecord): Buffer {
  const numbers = [
    record.createdAt,
    record.expiresAt - record.createdAt,
    record.lastSeenAt - record.createdAt,
    record.idleTimeoutMs,
    record.credentialVersion,
  ];
  const amr = record.amr.join(' ');
  const strings = [
    record.handle,
    record.userId,
    record.csrfToken,
    record.userAgent,
    record.ip,
    record.ssoSid,
    amr,
  ];
  const binding = record.deviceBinding;
  const fits =
    [
      record.createdAt,
      record.expiresAt,
      record.lastSeenAt,
      record.authTime - record.createdAt,
      ...numbers,
    ].every(compactInteger) &&
    strings.every((value) => value === null || !LONE_SURROGATE.test(value)) &&
    (binding === undefined || bindingFits(binding, record.createdAt));
  if (!fits) return Buffer.from(JSON.stringify(record), 'utf8');
  const writer = new Writer();
  writer.byte(COMPACT_V3);
  for (const value of numbers) writer.integer(value);
  for (const value of strings) writeString(writer, value);
  writer.integer(record.authTime - record.createdAt);
  writer.byte(binding === undefined ? 0 : 1);
  if (binding !== undefined) writeBinding(writer, binding, record.createdAt);
  return writer.buffer();
}

/**
 * Whether the compact layout holds `binding`: key coordinates and challenges
 * are 32-byte base64url values, cookie hashes SHA-256 in hex, as the auth
 * service makes them; anything else is written as JSON.
 */
function bindingFits(binding: DeviceBinding, createdAt: number): boolean {
  const { key, challenges, cookies } = binding;
  return (
    [binding.version, binding.refreshes].every(compactInteger) &&
    (key === null || (base64Url32(key.x) !== null && base64Url32(key.y) !== null)) &&
    challenges.every((c) => base64Url32(c.value) !== null) &&
    cookies.every((c) => HEX_64.test(c.value)) &&
    [...challenges, ...cookies].every((c) => compactInteger(c.expiresAt - createdAt))
  );
}

/**
 * The binding after the `COMPACT_V1` fields: version and refreshes; a byte
 * 0 or 1 for the key, then its x and y as 32 bytes each; the challenges
 * (count, then each as 32 bytes and its expiry relative to the creation
 * time); the bound cookie hashes likewise.
 */
function writeBinding(writer: Writer, binding: DeviceBinding, createdAt: number): void {
  writer.integer(binding.version);
  writer.integer(binding.refreshes);
  writer.byte(binding.key === null ? 0 : 1);
  if (binding.key !== null) {
    writer.raw(Buffer.from(binding.key.x, 'base64url'));
    writer.raw(Buffer.from(binding.key.y, 'base64url'));
  }
  const lists: [readonly Expiring<string>[], BufferEncoding][] = [
    [binding.challenges, 'base64url'],
    [binding.cookies, 'hex'],
  ];
  for (const [items, encoding] of lists) {
    writer.integer(items.length);
    for (const item of items) {
      writer.raw(Buffer.from(item.value, encoding));
      writer.integer(item.expiresAt - createdAt);
    }
  }
}

/** More challenges or bound cookies than any binding keeps: a corrupt value. */
const MAX_LISTED = 16;

function readBinding(reader: Reader, createdAt: number): DeviceBinding {
  const version = reader.integer();
  const refreshes = reader.integer();
  const hasKey = reader.byte();
  if (hasKey > 1) throw malformed();
  const key =
    hasKey === 1
      ? { x: reader.raw(32).toString('base64url'), y: reader.raw(32).toString('base64url') }
      : null;
  const readList = (encoding: BufferEncoding): Expiring<string>[] => {
    const count = reader.integer();
    if (count < 0 || count > MAX_LISTED) throw malformed();
    const items: Expiring<string>[] = [];
    for (let i = 0; i < count; i++) {
      const value = reader.raw(32).toString(encoding);
      items.push({ value, expiresAt: createdAt + reader.integer() });
    }
    return items;
  };
  const challenges = readList('base64url');
  const cookies = readList('hex');
  return { version, key, challenges, cookies, refreshes };
}

/**
 * Reads a value `encodeSessionValue` wrote, or a JSON record stored before
 * the compact layout, for the session whose id hash is `idHash`. Throws a
 * TypeError when the value is neither.
 */
export function decodeSessionValue(idHash: string, value: Buffer): SessionRecord {
  if (value[0] === JSON_OBJECT) return parseRecord(value.toString('utf8'));
  const layout = value[0];
  if (layout !== COMPACT_V1 && layout !== COMPACT_V2 && layout !== COMPACT_V3) throw malformed();
  const reader = new Reader(value);
  const createdAt = reader.integer();
  const expiresAt = createdAt + reader.integer();
  const lastSeenAt = createdAt + reader.integer();
  const idleTimeoutMs = reader.integer();
  const credentialVersion = reader.integer();
  const handle = readString(reader);
  const userId = readString(reader);
  const csrfToken = readString(reader);
  const userAgent = readString(reader);
  const ip = readString(reader);
  const ssoSid = readString(reader);
  let amr = DEFAULT_AMR;
  let authTime = createdAt;
  let bound = layout === COMPACT_V2;
  if (layout === COMPACT_V3) {
    const methods = readString(reader);
    if (methods) amr = methods.split(' ');
    authTime = createdAt + reader.integer();
    const flag = reader.byte();
    if (flag > 1) throw malformed();
    bound = flag === 1;
  }
  const deviceBinding = bound ? readBinding(reader, createdAt) : undefined;
  reader.end();
  if (handle === null || userId === null || csrfToken === null) throw malformed();
  return Object.freeze({
    idHash,
    handle,
    userId,
    csrfToken,
    createdAt,
    expiresAt,
    lastSeenAt,
    idleTimeoutMs,
    userAgent,
    ip,
    credentialVersion,
    ssoSid,
    amr,
    authTime,
    ...(deviceBinding === undefined ? {} : { deviceBinding }),
  });
}
