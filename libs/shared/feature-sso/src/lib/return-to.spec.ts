import { safeReturnTo, withSsoMarker } from './return-to';

describe(safeReturnTo.name, () => {
  it.each([
    ['/', '/'],
    ['/cart', '/cart'],
    ['/cart?tab=items#top', '/cart?tab=items#top'],
    ['/a/../b', '/b'],
  ])('keeps the same-origin path %s', (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected);
  });

  it.each([
    ['an absolute URL', 'https://evil.example/'],
    ['a scheme-relative URL', '//evil.example/'],
    ['a backslash host', '/\\evil.example'],
    ['a backslash later on', '/ok\\..\\evil'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a relative path', 'cart'],
    ['a tab inside', '/\t/evil.example'],
    ['a newline', '/cart\nSet-Cookie: x=y'],
    ['an empty string', ''],
    ['a very long path', `/${'a'.repeat(5000)}`],
    ['an array (repeated parameter)', ['/a', '/b']],
    ['nothing', undefined],
  ])('falls back to / for %s', (_case, value) => {
    expect(safeReturnTo(value)).toBe('/');
  });

  it('falls back to the given default', () => {
    expect(safeReturnTo('https://evil.example/', '/home')).toBe('/home');
  });
});

describe(withSsoMarker.name, () => {
  it('adds the marker to the query', () => {
    expect(withSsoMarker('/', 'signed_out')).toBe('/?sso=signed_out');
  });

  it('keeps the rest of the query and the fragment', () => {
    expect(withSsoMarker('/cart?tab=1#x', 'signed_out')).toBe('/cart?tab=1&sso=signed_out#x');
  });

  it('replaces a marker already there', () => {
    expect(withSsoMarker('/?sso=other', 'signed_out')).toBe('/?sso=signed_out');
  });
});
