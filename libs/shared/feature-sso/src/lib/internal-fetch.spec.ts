import { internalFetch } from './internal-fetch';
import type { FetchLike } from './internal-fetch';

describe(internalFetch.name, () => {
  const calls: string[] = [];
  const recorder: FetchLike = async (url) => {
    calls.push(url);
    return new Response('{}');
  };
  beforeEach(() => calls.splice(0));

  it('sends a request for the issuer to the internal URL, path and query kept', async () => {
    const fetch = internalFetch('http://auth.localhost:8081', 'http://127.0.0.1:8081/', recorder);
    await fetch('http://auth.localhost:8081/oidc/token?x=1');
    expect(calls).toEqual(['http://127.0.0.1:8081/oidc/token?x=1']);
  });

  it('refuses any other origin', async () => {
    const fetch = internalFetch('http://auth.localhost:8081', 'http://127.0.0.1:8081', recorder);
    await expect(fetch('http://evil.example/oidc/token')).rejects.toThrow(TypeError);
    expect(calls).toEqual([]);
  });
});
