import { FLOW_LIFETIME_SECONDS, FlowCookie } from './flow-cookie';
import type { SsoFlow } from './flow-cookie';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const NOW = Date.UTC(2026, 0, 1);
const FLOW: SsoFlow = {
  state: 'state-1',
  nonce: 'nonce-1',
  codeVerifier: 'verifier-1',
  returnTo: '/cart',
  promptNone: false,
};

function cookie(overrides: Partial<ConstructorParameters<typeof FlowCookie>[0]> = {}): FlowCookie {
  return new FlowCookie({
    secret: SECRET,
    clientId: 'cart',
    secure: true,
    callbackPath: '/sso/callback',
    ...overrides,
  });
}

/** Flips one bit of the sealed bytes at `index`. */
function flipBit(value: string, index: number): string {
  const [version, body] = value.split('.');
  const bytes = Buffer.from(body, 'base64url');
  bytes[index] ^= 1;
  return `${version}.${bytes.toString('base64url')}`;
}

describe(FlowCookie.name, () => {
  describe('when sealed and opened with the same secret and client', () => {
    it('gives back the flow', () => {
      const flows = cookie();
      expect(flows.open(flows.seal(FLOW, NOW), NOW + 1000)).toEqual(FLOW);
    });

    it('does not show the flow in the cookie value', () => {
      const value = cookie().seal(FLOW, NOW);
      expect(value).not.toContain('verifier-1');
      expect(Buffer.from(value.slice(3), 'base64url').toString('latin1')).not.toContain('nonce-1');
    });

    it('seals the same flow differently each time (a fresh IV)', () => {
      const flows = cookie();
      expect(flows.seal(FLOW, NOW)).not.toBe(flows.seal(FLOW, NOW));
    });
  });

  describe('when the flow is older than its lifetime', () => {
    it('refuses it', () => {
      const flows = cookie();
      const value = flows.seal(FLOW, NOW);
      expect(flows.open(value, NOW + FLOW_LIFETIME_SECONDS * 1000 - 1)).toEqual(FLOW);
      expect(flows.open(value, NOW + FLOW_LIFETIME_SECONDS * 1000)).toBeNull();
    });
  });

  describe('when the value was tampered with', () => {
    it.each([
      ['the IV', 0],
      ['the ciphertext', 20],
      ['the tag', -1],
    ])('refuses a change to %s', (_part, index) => {
      const flows = cookie();
      const value = flows.seal(FLOW, NOW);
      const length = Buffer.from(value.slice(3), 'base64url').length;
      expect(flows.open(flipBit(value, index < 0 ? length + index : index), NOW)).toBeNull();
    });

    it.each([
      ['absent', undefined],
      ['empty', ''],
      ['without its version', 'abc'],
      ['too short', 'v1.AAAA'],
      ['not base64url', 'v1.!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'],
    ])('refuses a value %s', (_case, value) => {
      expect(cookie().open(value, NOW)).toBeNull();
    });
  });

  describe('when sealed under another secret or for another client', () => {
    it('refuses a flow of another secret', () => {
      const value = cookie({ secret: `${SECRET}-other` }).seal(FLOW, NOW);
      expect(cookie().open(value, NOW)).toBeNull();
    });

    it('refuses a flow of another relying party', () => {
      const value = cookie({ clientId: 'shop' }).seal(FLOW, NOW);
      expect(cookie().open(value, NOW)).toBeNull();
    });
  });

  describe('its name and attributes', () => {
    it('is __Host-sso-flow with Secure and Path=/ on a secure-context origin', () => {
      const flows = cookie();
      expect(flows.name).toBe('__Host-sso-flow');
      expect(flows.set()).toEqual({
        httpOnly: true,
        secure: true,
        sameSite: 'lax',
        path: '/',
        maxAge: FLOW_LIFETIME_SECONDS,
      });
    });

    it('is sso-flow scoped to the callback path over plain http', () => {
      const flows = cookie({ secure: false });
      expect(flows.name).toBe('sso-flow');
      expect(flows.set()).toMatchObject({ secure: false, path: '/sso/callback' });
    });

    it('is cleared with the same path and flags', () => {
      expect(cookie().clear()).toMatchObject({ path: '/', secure: true, maxAge: 0 });
    });
  });

  it('refuses a secret shorter than 32 characters, as a programming error', () => {
    expect(() => cookie({ secret: 'short' })).toThrow(TypeError);
  });
});
