import { SfToken, parseSfItem, parseSfList, sfString } from './structured-field';

describe(parseSfList.name, () => {
  it('reads items and inner lists with their parameters', () => {
    expect(parseSfList('(a "b");p=1;q, "c";r=?0;s=:AQI=:, 2.5')).toEqual([
      {
        value: [
          { value: new SfToken('a'), params: {} },
          { value: 'b', params: {} },
        ],
        params: { p: 1, q: true },
      },
      { value: 'c', params: { r: false, s: Buffer.from([1, 2]) } },
      { value: 2.5, params: {} },
    ]);
  });

  it('reads an empty field as an empty list', () => {
    expect(parseSfList('')).toEqual([]);
  });

  it.each([
    ['a trailing comma', '"a",'],
    ['an escape other than \\" and \\\\', '"a\\n"'],
    ['a non-ASCII string', '"é"'],
    ['an unclosed inner list', '(a b'],
    ['an upper-case key', '"a";Key=1'],
    ['a missing comma', '"a" "b"'],
  ])('throws a TypeError for %s', (_, field) => {
    expect(() => parseSfList(field)).toThrow(TypeError);
  });
});

describe(parseSfItem.name, () => {
  it('reads one item, with surrounding spaces', () => {
    expect(parseSfItem(' "h1" ')).toEqual({ value: 'h1', params: {} });
  });

  it('throws when there is more than one', () => {
    expect(() => parseSfItem('"a", "b"')).toThrow(TypeError);
  });
});

describe(sfString.name, () => {
  it('quotes and escapes, so that parsing gives the value back', () => {
    const value = 'a "quoted" \\ value';

    expect(sfString(value)).toBe('"a \\"quoted\\" \\\\ value"');
    expect(parseSfItem(sfString(value)).value).toBe(value);
  });

  it('refuses what a String cannot hold', () => {
    expect(() => sfString('line\nbreak')).toThrow(TypeError);
  });
});
