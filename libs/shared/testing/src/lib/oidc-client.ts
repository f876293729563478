import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HttpClient, HttpResponse, JsonObject } from './http-client';
import { epochSeconds, signEs256Jwt } from './jwt';

/**
 * The back end of a relying party, played by a test: what it sends AUTH's
 * OpenID Provider by hand, so that a suite can send it wrong on purpose.
 * It authenticates with the party's own client key (`private_key_jwt`),
 * which the service keeps in DATA_DIR.
 */
export interface TestRelyingParty {
  readonly clientId: string;
  /** Its registered redirect_uri. */
  readonly redirectUri: string;
  /** The PEM of its client key. */
  readonly keyPem: string;
}

/** The file a relying party keeps its client key in, under DATA_DIR. */
export function ssoClientKeyFile(dataDir: string, clientId: string): string {
  return join(dataDir, `sso-client-key-${clientId}.pem`);
}

export async function testRelyingParty(
  dataDir: string,
  clientId: string,
  redirectUri: string,
): Promise<TestRelyingParty> {
  return {
    clientId,
    redirectUri,
    keyPem: await readFile(ssoClientKeyFile(dataDir, clientId), 'utf8'),
  };
}

/** A PKCE pair (RFC 7636): the verifier, and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** An authorization request URL at `issuer`, with any parameter overridden or left out (`undefined`). */
export function authorizationUrl(
  issuer: string,
  party: TestRelyingParty,
  parameters: Record<string, string | undefined>,
): string {
  const url = new URL('/oidc/auth', issuer);
  const all: Record<string, string | undefined> = {
    client_id: party.clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: party.redirectUri,
    ...parameters,
  };
  for (const [name, value] of Object.entries(all)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.href;
}

/** A `private_key_jwt` client assertion (RFC 7523) for the token endpoint of `issuer`. */
export function clientAssertion(party: TestRelyingParty, issuer: string): string {
  const now = epochSeconds();
  return signEs256Jwt(
    {
      iss: party.clientId,
      sub: party.clientId,
      aud: issuer,
      jti: randomBytes(16).toString('hex'),
      iat: now,
      exp: now + 60,
    },
    party.keyPem,
  );
}

/** Redeems a code at AUTH's token endpoint as the relying party would (fields overridable). */
export function redeemCode(
  auth: HttpClient,
  party: TestRelyingParty,
  fields: Record<string, string | undefined>,
): Promise<HttpResponse<JsonObject>> {
  const body: Record<string, string> = {};
  const all: Record<string, string | undefined> = {
    grant_type: 'authorization_code',
    redirect_uri: party.redirectUri,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: clientAssertion(party, auth.service.origin),
    ...fields,
  };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) body[name] = value;
  return auth.request({
    method: 'POST',
    path: '/oidc/token',
    body: new URLSearchParams(body).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}
