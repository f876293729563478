import { parseClientMessage } from './cart-events.messages';

describe(parseClientMessage.name, () => {
  it('reads {type: "auth", token}', () => {
    expect(parseClientMessage('{"type":"auth","token":"a.b.c"}')).toEqual({
      type: 'auth',
      token: 'a.b.c',
    });
  });

  it.each([
    ['not JSON', 'auth a.b.c'],
    ['JSON that is not an object', '"auth"'],
    ['null', 'null'],
    ['another type', '{"type":"subscribe","token":"a.b.c"}'],
    ['no token', '{"type":"auth"}'],
    ['a token that is not a string', '{"type":"auth","token":42}'],
    ['an empty token', '{"type":"auth","token":""}'],
    ['a token longer than any access token', `{"type":"auth","token":"${'x'.repeat(4097)}"}`],
  ])('answers null for %s', (_case, text) => {
    expect(parseClientMessage(text)).toBeNull();
  });
});
