import { generateKeyPair, generateProof } from 'dpop';
import { calculateJwkThumbprint, exportJWK, generateKeyPair as joseKeyPair, SignJWT } from 'jose';
import { accessTokenHash, checkProof } from './dpop-proof';

const HTU = 'https://shop.test/api/me';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';

describe('checkProof', () => {
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let jkt: string;

  beforeAll(async () => {
    // Extractable only so that one test can put the private key in the header.
    keys = await generateKeyPair('ES256', { extractable: true });
    jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey), 'sha256');
  });

  const expected = (over: Partial<Parameters<typeof checkProof>[1]> = {}) => ({
    htm: 'GET',
    htu: HTU,
    accessToken: TOKEN,
    now: Date.now(),
    ...over,
  });

  /** A proof signed by `keys` with the claims given, whatever `dpop` itself would allow. */
  async function handMade(
    payload: Record<string, unknown>,
    header: Record<string, unknown> = {},
  ): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({
        alg: 'ES256',
        typ: 'dpop+jwt',
        jwk: await exportJWK(keys.publicKey),
        ...header,
      })
      .sign(keys.privateKey);
  }

  const claims = (over: Record<string, unknown> = {}) => ({
    jti: 'a-unique-proof-identifier',
    htm: 'GET',
    htu: HTU,
    iat: Math.floor(Date.now() / 1000),
    ath: accessTokenHash(TOKEN),
    ...over,
  });

  it('accepts a proof for this request and names its key', async () => {
    const proof = await generateProof(keys, HTU, 'GET', undefined, TOKEN);
    await expect(checkProof(proof, expected())).resolves.toMatchObject({ jkt });
  });

  it('compares the URL without its query and with the scheme and host normalised', async () => {
    const proof = await generateProof(
      keys,
      'HTTPS://SHOP.test:443/api/me?x=1',
      'GET',
      undefined,
      TOKEN,
    );
    await expect(checkProof(proof, expected())).resolves.toMatchObject({ jkt });
  });

  it.each([
    ['another URL', { htu: 'https://shop.test/api/cart' }],
    ['another origin', { htu: 'https://evil.test/api/me' }],
    ['another method', { htm: 'POST' }],
    ['an iat over a minute old', { iat: Math.floor(Date.now() / 1000) - 120 }],
    ['an iat in the future', { iat: Math.floor(Date.now() / 1000) + 60 }],
    ['no ath', { ath: undefined }],
    ['the ath of another token', { ath: accessTokenHash(`${TOKEN}x`) }],
    ['a short jti', { jti: 'short' }],
  ])('refuses %s', async (_case, over) => {
    const proof = await handMade(claims(over));
    await expect(checkProof(proof, expected())).resolves.toHaveProperty('refused');
  });

  it('refuses the wrong typ, a private jwk and a key other than the signer', async () => {
    const other = await joseKeyPair('ES256', { extractable: true });
    const refusals = await Promise.all([
      handMade(claims(), { typ: 'JWT' }),
      handMade(claims(), { jwk: await exportJWK(keys.privateKey) }),
      handMade(claims(), { jwk: await exportJWK(other.publicKey) }),
    ]).then((proofs) => Promise.all(proofs.map((proof) => checkProof(proof, expected()))));
    for (const refusal of refusals) expect(refusal).toHaveProperty('refused');
  });

  it('refuses an HS256 proof and a proof signed with another curve', async () => {
    const hs256 = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
      .sign(new TextEncoder().encode('a shared secret, not a key pair'));
    const p384 = await joseKeyPair('ES384', { extractable: true });
    const es384 = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES384', typ: 'dpop+jwt', jwk: await exportJWK(p384.publicKey) })
      .sign(p384.privateKey);
    await expect(checkProof(hs256, expected())).resolves.toHaveProperty('refused');
    await expect(checkProof(es384, expected())).resolves.toHaveProperty('refused');
  });

  it('refuses what is not a JWS at all, and a proof too large to parse', async () => {
    await expect(checkProof('not.a.proof', expected())).resolves.toHaveProperty('refused');
    await expect(checkProof('a'.repeat(5000), expected())).resolves.toHaveProperty('refused');
  });
});
