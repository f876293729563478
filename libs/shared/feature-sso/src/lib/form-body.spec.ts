import { formFields } from './form-body';

describe(formFields.name, () => {
  it.each([
    ['text (a JSON-only app with acceptFormsOn)', 'logout_token=a.b.c&x=1'],
    ['raw bytes (the gateway keeps every body raw)', Buffer.from('logout_token=a.b.c&x=1')],
  ])('reads a form that arrived as %s', (_case, body) => {
    expect(formFields(body).get('logout_token')).toBe('a.b.c');
  });

  it.each([
    ['a parsed JSON object', { logout_token: 'a.b.c' }],
    ['no body', undefined],
  ])('finds no field in %s', (_case, body) => {
    expect(formFields(body).get('logout_token')).toBeNull();
  });
});
