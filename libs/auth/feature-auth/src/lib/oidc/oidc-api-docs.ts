import type { PathItemObject } from '@nestjs/swagger';
import { OIDC_PATHS } from './oidc-paths';

const TAG = ['single sign-on'];

/** The OpenID Provider's tag in AUTH's document. */
export const OIDC_TAG = {
  name: 'single sign-on',
  description:
    'AUTH as an OpenID Provider (oidc-provider, OpenID Certified): the authorization code flow with PKCE S256 for the two registered relying parties, the gateway (`shop`) and CART (`cart`), RP-initiated and back-channel logout. Browsers reach it by top-level redirects only.',
};

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' as const } } },
});

const json = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' as const } } },
});

const query = (name: string, description: string, required = false) => ({
  name,
  in: 'query' as const,
  required,
  description,
  schema: { type: 'string' as const },
});

/**
 * The provider's routes, which oidc-provider serves itself (no decorator
 * can describe them): what a relying party and a browser use of them.
 */
export const OIDC_API_PATHS: Readonly<Record<string, PathItemObject>> = {
  [OIDC_PATHS.discovery]: {
    get: {
      tags: TAG,
      operationId: 'OpenIdProvider_discovery',
      summary: 'OpenID Provider metadata',
      description:
        'Endpoints, the code flow only, `S256` only, `private_key_jwt` with ES256 only, `iss` in authorization responses (RFC 9207), back-channel logout with `sid`.',
      responses: { '200': json('The discovery document (OpenID Connect Discovery 1.0).') },
    },
  },
  [OIDC_PATHS.routes.authorization]: {
    get: {
      tags: TAG,
      operationId: 'OpenIdProvider_authorize',
      summary: 'Authorization endpoint (a browser, top-level)',
      description:
        'Shows AUTH’s login page when the browser has no AUTH session, else answers at once. The answer goes to the exact registered `redirect_uri` with `code`, `state` and `iss`, or an OAuth error (`login_required` after `prompt=none`, `invalid_request` without PKCE S256). An unregistered `redirect_uri` or client is an error page, never a redirect.',
      parameters: [
        query('client_id', '`shop` or `cart`.', true),
        query('response_type', '`code`, the only one.', true),
        query('redirect_uri', 'Exactly as registered.', true),
        query('scope', '`openid`, and `email` for the address at userinfo.', true),
        query('code_challenge', 'PKCE (RFC 7636), mandatory.', true),
        query('code_challenge_method', '`S256`, the only one.', true),
        query('state', 'Checked by the relying party.'),
        query('nonce', 'Returned in the ID token, checked by the relying party.'),
        query('prompt', '`none` for a silent answer: `login_required` when there is no session.'),
      ],
      responses: {
        '303': { description: 'To the login page, or back to the relying party.' },
        '400': html(
          'The request cannot be answered to the client (unknown client, bad redirect_uri).',
        ),
      },
    },
  },
  [OIDC_PATHS.routes.token]: {
    post: {
      tags: TAG,
      operationId: 'OpenIdProvider_token',
      summary: 'Token endpoint (a relying party’s back end)',
      description:
        'Redeems a code once (a replay is `invalid_grant` and revokes what the first redemption issued) with its PKCE verifier; the client authenticates with a `private_key_jwt` assertion signed by the key it publishes. Answers an ES256 ID token and a short-lived access token for userinfo; no refresh token.',
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: {
              type: 'object',
              required: [
                'grant_type',
                'code',
                'redirect_uri',
                'code_verifier',
                'client_assertion_type',
                'client_assertion',
              ],
              properties: {
                grant_type: { type: 'string', enum: ['authorization_code'] },
                code: { type: 'string' },
                redirect_uri: { type: 'string', format: 'uri' },
                code_verifier: { type: 'string' },
                client_assertion_type: {
                  type: 'string',
                  enum: ['urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
                },
                client_assertion: { type: 'string' },
              },
            },
          },
        },
      },
      responses: {
        '200': json('`{id_token, access_token, token_type, expires_in, scope}`.'),
        '400': json('An OAuth error: `invalid_grant` (spent, expired or wrong verifier), …'),
        '401': json('`invalid_client`: the client assertion failed.'),
      },
    },
  },
  [OIDC_PATHS.routes.userinfo]: {
    get: {
      tags: TAG,
      operationId: 'OpenIdProvider_userinfo',
      summary: 'UserInfo endpoint',
      description:
        '`sub`, and `email` when the scope asked for it. With the access token of the token endpoint.',
      responses: { '200': json('The claims.'), '401': json('`invalid_token`.') },
    },
  },
  [OIDC_PATHS.routes.jwks]: {
    get: {
      tags: TAG,
      operationId: 'OpenIdProvider_jwks',
      summary: 'The keys that sign ID tokens and logout tokens',
      description:
        'The same key set as `/.well-known/jwks.json`: AUTH signs everything with its rotating ES256 keys.',
      responses: { '200': json('A JWKS, public keys only.') },
    },
  },
  [OIDC_PATHS.routes.end_session]: {
    get: {
      tags: TAG,
      operationId: 'OpenIdProvider_endSession',
      summary: 'RP-initiated logout (a browser, top-level)',
      description:
        'Asks the user to confirm, then ends the AUTH session and posts a logout token to every relying party it signed into (Back-Channel Logout 1.0). Redirects only to a registered `post_logout_redirect_uri`.',
      parameters: [
        query('client_id', '`shop` or `cart`.'),
        query('id_token_hint', 'An ID token this provider issued.'),
        query('post_logout_redirect_uri', 'Exactly as registered.'),
        query('state', 'Returned on the redirect.'),
      ],
      responses: {
        '200': html('The confirmation page.'),
        '400': html('An unregistered post_logout_redirect_uri: no redirect.'),
      },
    },
  },
  [OIDC_PATHS.interaction('{uid}')]: {
    get: {
      tags: TAG,
      operationId: 'OpenIdProvider_loginPage',
      summary: 'AUTH’s login page for one sign-in',
      description:
        "First-party on AUTH’s site: a strict CSP (`default-src 'none'`, `frame-ancestors 'none'`), no script. The sign-in it belongs to is bound to the browser by a cookie.",
      parameters: [{ name: 'uid', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': html('The form.'),
        '400': html('The sign-in expired or was started in another browser.'),
      },
    },
    post: {
      tags: TAG,
      operationId: 'OpenIdProvider_login',
      summary: 'Sign in on AUTH’s login page',
      description:
        'The same argon2id check, address limit and back-off as `POST /auth/session`. Against login CSRF the form must come from AUTH’s origin and carry its token.',
      parameters: [{ name: 'uid', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: {
              type: 'object',
              required: ['csrf', 'email', 'password'],
              properties: {
                csrf: { type: 'string' },
                email: { type: 'string', format: 'email' },
                password: { type: 'string', format: 'password' },
              },
            },
          },
        },
      },
      responses: {
        '303': {
          description: 'Signed in: on to the authorization endpoint, then the relying party.',
        },
        '401': html('The page again, with "The email or password is incorrect."'),
        '403': html('Another origin, or no valid CSRF token.'),
        '429': html('Too many attempts: `Retry-After` says when to try again.'),
      },
    },
  },
};
