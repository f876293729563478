import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CART_EVENTS_CLOSE_CODES, cartEventsCloseReason } from './cart-events.close-codes';

const documentation = readFileSync(join(__dirname, '../../../../../../docs/websocket.md'), 'utf8');

describe('CART_EVENTS_CLOSE_CODES', () => {
  it.each(Object.entries(CART_EVENTS_CLOSE_CODES))(
    '%s (%i) has its row in docs/websocket.md',
    (reason, code) => {
      expect(documentation).toMatch(
        new RegExp(`^\\|\\s*${code}\\s*\\|\\s*\`${reason}\`\\s*\\|`, 'm'),
      );
    },
  );

  it('gives each reason a code of its own, in RFC 6455’s ranges (1000–1015 or 4000–4999)', () => {
    const codes = Object.values(CART_EVENTS_CLOSE_CODES);

    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) {
      expect((code >= 1000 && code <= 1015) || (code >= 4000 && code <= 4999)).toBe(true);
    }
  });
});

describe(cartEventsCloseReason.name, () => {
  it.each(Object.entries(CART_EVENTS_CLOSE_CODES))('names %s for %i', (reason, code) => {
    expect(cartEventsCloseReason(code)).toBe(reason);
  });

  it('answers undefined for a code the protocol never sends', () => {
    expect(cartEventsCloseReason(4999)).toBeUndefined();
  });
});
