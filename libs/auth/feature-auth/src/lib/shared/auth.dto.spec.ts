import { PASSWORD_MAX, PASSWORD_MAX_BYTES, passwordProblem } from './auth.dto';

describe(passwordProblem.name, () => {
  it('accepts 8 to 1024 characters', () => {
    expect(passwordProblem('x'.repeat(8))).toBeNull();
    expect(passwordProblem('x'.repeat(PASSWORD_MAX))).toBeNull();
  });

  it.each([
    ['7 characters', 'x'.repeat(7), 'must be 8 to 1024 characters'],
    ['1025 characters', 'x'.repeat(PASSWORD_MAX + 1), 'must be 8 to 1024 characters'],
    ['a number', 12345678, 'must be a string'],
  ])('refuses %s', (_case, value, problem) => {
    expect(passwordProblem(value)).toBe(problem);
  });

  it('counts characters as code points: 600 emoji are 600 characters, not 1200', () => {
    const emoji = '🔑'.repeat(600);
    expect(emoji.length).toBe(1200);
    expect(passwordProblem(emoji)).toBeNull();
  });

  it('caps the bytes that reach the hasher at 3072 in UTF-8', () => {
    expect(passwordProblem('語'.repeat(PASSWORD_MAX))).toBeNull();
    expect(Buffer.byteLength('🔑'.repeat(768), 'utf8')).toBe(PASSWORD_MAX_BYTES);
    expect(passwordProblem('🔑'.repeat(768))).toBeNull();
    expect(passwordProblem('🔑'.repeat(769))).toBe('must be at most 3072 bytes in UTF-8');
  });
});
