import { challengeHeader, registrationHeader, stringField } from './dbsc-headers';

describe('DBSC header fields', () => {
  it('writes the registration offer and the challenge as structured fields', () => {
    expect(registrationHeader('session/dbsc/registration', 'abc_-1')).toBe(
      '(ES256);path="session/dbsc/registration";challenge="abc_-1"',
    );
    expect(challengeHeader('c"1\\', 'id-1')).toBe('"c\\"1\\\\";id="id-1"');
  });

  it.each([
    ['a quoted string', '"eyJ.a.b"', 'eyJ.a.b'],
    ['a bare value, as Chromium sends it', 'eyJ.a.b', 'eyJ.a.b'],
    ['a quoted string with parameters', '"id-1";x=1', 'id-1'],
    ['escapes', '"a\\"b\\\\c"', 'a"b\\c'],
    ['surrounding spaces', '  "id-1"  ', 'id-1'],
  ])('reads %s', (_case, value, expected) => {
    expect(stringField(value)).toBe(expected);
  });

  it.each([
    ['an absent header', undefined],
    ['a repeated header', ['"a"', '"b"']],
    ['an unterminated string', '"abc'],
    ['a bad escape', '"a\\nb"'],
    ['a control character', '"a\u0001b"'],
    ['an empty bare value', ''],
    ['a bare value with a quote', 'a"b'],
  ])('refuses %s', (_case, value) => {
    expect(stringField(value)).toBeUndefined();
  });
});
