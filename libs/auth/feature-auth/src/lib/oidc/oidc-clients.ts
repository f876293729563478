import type { ClientMetadata } from 'oidc-provider';
import { RELYING_PARTIES } from '@svt/shared/util-config';
import type { RelyingParty } from '@svt/shared/util-config';
import type { AuthConfig } from '../auth.config';

/**
 * The two relying parties, registered statically: the gateway (SHOP) and CART.
 * Each is a confidential client authenticated by `private_key_jwt` with the
 * key it publishes at its internal URL, allowed the code flow only, with one
 * exact `redirect_uri` and one `post_logout_redirect_uri` (no open redirect),
 * and a back-channel logout endpoint that wants the session's `sid`.
 */
export function registeredClients(
  config: Pick<AuthConfig, 'SHOP_ORIGIN' | 'CART_ORIGIN' | 'GATEWAY_URL' | 'CART_URL'>,
): ClientMetadata[] {
  return [
    client(RELYING_PARTIES.shop, config.SHOP_ORIGIN, config.GATEWAY_URL),
    client(RELYING_PARTIES.cart, config.CART_ORIGIN, config.CART_URL),
  ];
}

function client(party: RelyingParty, origin: string, internalUrl: string): ClientMetadata {
  return {
    client_id: party.clientId,
    application_type: 'web',
    redirect_uris: [`${origin}${party.callbackPath}`],
    post_logout_redirect_uris: [`${origin}${party.postLogoutPath}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks_uri: `${internalUrl}${party.jwksPath}`,
    id_token_signed_response_alg: 'ES256',
    backchannel_logout_uri: `${internalUrl}${party.backchannelLogoutPath}`,
    backchannel_logout_session_required: true,
    // OpenID Connect Registration §2: every ID token says when the user
    // authenticated, so a relying party's session keeps the login's time
    // (with its `amr`) rather than its own creation's.
    require_auth_time: true,
  };
}
