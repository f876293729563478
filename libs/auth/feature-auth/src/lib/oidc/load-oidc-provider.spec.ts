import { loadOidcProvider } from './load-oidc-provider';

describe(loadOidcProvider.name, () => {
  it('loads the provider, hands what it warns to the logger, and leaves console.warn as it was', async () => {
    const consoleWarn = console.warn;
    const warned: string[] = [];
    const oidc = await loadOidcProvider((message) => warned.push(message));
    expect(typeof oidc.Provider).toBe('function');
    expect(console.warn).toBe(consoleWarn);
    // On Node 20 the library's one warning arrives here instead of on stderr.
    expect(warned.every((line) => line.startsWith('oidc-provider'))).toBe(true);
  });
});
