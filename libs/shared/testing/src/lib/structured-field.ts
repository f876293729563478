/**
 * The part of RFC 9651 (structured field values) that DBSC headers use: a
 * List of Items and Inner Lists with Parameters, and String serialisation.
 * Parsing is strict, as §4.2 asks: a malformed value throws a `TypeError`.
 */

export type BareItem = string | number | boolean | SfToken | Uint8Array;

/** A Token (`ES256`), kept apart from a String (`"ES256"`): the two are not the same value. */
export class SfToken {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

export interface SfItem {
  value: BareItem;
  params: Record<string, BareItem>;
}

export interface SfInnerList {
  value: SfItem[];
  params: Record<string, BareItem>;
}

export type SfMember = SfItem | SfInnerList;

/** Parses a List field (RFC 9651 §4.2.1); an empty value is an empty list. */
export function parseSfList(input: string): SfMember[] {
  const parser = new Parser(input);
  parser.skip(' ');
  const members: SfMember[] = [];
  while (!parser.done()) {
    members.push(parser.peek() === '(' ? parser.innerList() : parser.item());
    parser.skip(' \t');
    if (parser.done()) break;
    parser.expect(',');
    parser.skip(' \t');
    if (parser.done()) throw new TypeError('a structured list may not end with ","');
  }
  return members;
}

/** Parses an Item field (RFC 9651 §4.2.3), e.g. `Sec-Secure-Session-Id: "abc"`. */
export function parseSfItem(input: string): SfItem {
  const parser = new Parser(input);
  parser.skip(' ');
  const item = parser.item();
  parser.skip(' ');
  if (!parser.done()) throw new TypeError(`unexpected text after the item: ${input}`);
  return item;
}

/** Serialises a String (RFC 9651 §4.1.6): quoted, `"` and `\` escaped; only printable ASCII. */
export function sfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) {
    throw new TypeError('a structured string holds printable ASCII only');
  }
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

class Parser {
  private at = 0;

  constructor(private readonly input: string) {}

  done(): boolean {
    return this.at >= this.input.length;
  }

  peek(): string {
    return this.input[this.at] ?? '';
  }

  skip(chars: string): void {
    while (!this.done() && chars.includes(this.peek())) this.at++;
  }

  expect(char: string): void {
    if (this.peek() !== char) this.fail(`expected "${char}"`);
    this.at++;
  }

  innerList(): SfInnerList {
    this.expect('(');
    const items: SfItem[] = [];
    for (;;) {
      this.skip(' ');
      if (this.peek() === ')') break;
      items.push(this.item());
      if (this.peek() !== ' ' && this.peek() !== ')') this.fail('expected " " or ")"');
    }
    this.at++;
    return { value: items, params: this.params() };
  }

  item(): SfItem {
    return { value: this.bareItem(), params: this.params() };
  }

  private params(): Record<string, BareItem> {
    const params: Record<string, BareItem> = {};
    while (this.peek() === ';') {
      this.at++;
      this.skip(' ');
      const key = this.key();
      if (this.peek() === '=') {
        this.at++;
        params[key] = this.bareItem();
      } else {
        params[key] = true;
      }
    }
    return params;
  }

  private key(): string {
    const match = /^[a-z*][a-z0-9_\-.*]*/.exec(this.input.slice(this.at));
    if (!match) this.fail('expected a parameter key');
    this.at += match[0].length;
    return match[0];
  }

  private bareItem(): BareItem {
    const char = this.peek();
    if (char === '"') return this.string();
    if (char === ':') return this.bytes();
    if (char === '?') return this.boolean();
    if (char === '-' || /[0-9]/.test(char)) return this.number();
    if (/[A-Za-z*]/.test(char)) return this.token();
    return this.fail('expected an item');
  }

  private string(): string {
    this.expect('"');
    let value = '';
    while (!this.done()) {
      const char = this.input[this.at++];
      if (char === '"') return value;
      if (char === '\\') {
        const escaped = this.input[this.at++];
        if (escaped !== '"' && escaped !== '\\') this.fail('a string escapes only " and \\');
        value += escaped;
      } else if (char < '\x20' || char > '\x7e') {
        this.fail('a string holds printable ASCII only');
      } else {
        value += char;
      }
    }
    return this.fail('unterminated string');
  }

  private token(): SfToken {
    const match = /^[A-Za-z*][\w!#$%&'*+\-.^`|~:/]*/.exec(this.input.slice(this.at));
    if (!match) this.fail('expected a token');
    this.at += match[0].length;
    return new SfToken(match[0]);
  }

  private number(): number {
    const match = /^-?\d{1,15}(?:\.\d{1,3})?/.exec(this.input.slice(this.at));
    if (!match) this.fail('expected a number');
    this.at += match[0].length;
    return Number(match[0]);
  }

  private boolean(): boolean {
    const match = /^\?[01]/.exec(this.input.slice(this.at));
    if (!match) this.fail('expected ?0 or ?1');
    this.at += 2;
    return match[0] === '?1';
  }

  private bytes(): Uint8Array {
    const match = /^:([A-Za-z0-9+/=]*):/.exec(this.input.slice(this.at));
    if (!match) this.fail('expected a byte sequence');
    this.at += match[0].length;
    return Buffer.from(match[1], 'base64');
  }

  private fail(what: string): never {
    throw new TypeError(`${what} at ${this.at} of the structured field: ${this.input}`);
  }
}
