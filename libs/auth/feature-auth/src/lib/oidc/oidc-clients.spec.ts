import { registeredClients } from './oidc-clients';

describe(registeredClients.name, () => {
  const clients = registeredClients({
    SHOP_ORIGIN: 'https://shop.example',
    CART_ORIGIN: 'https://cart.example',
    GATEWAY_URL: 'http://gateway:8080',
    CART_URL: 'http://cart:8082',
  });

  it('registers the gateway and CART, each with one exact redirect_uri on its public origin', () => {
    expect(clients.map((client) => [client.client_id, client.redirect_uris])).toEqual([
      ['shop', ['https://shop.example/api/sso/callback']],
      ['cart', ['https://cart.example/sso/callback']],
    ]);
  });

  it('allows the code flow only, with private_key_jwt and ES256', () => {
    for (const client of clients) {
      expect(client).toMatchObject({
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        id_token_signed_response_alg: 'ES256',
      });
    }
  });

  it('reaches their keys and back-channel endpoints at the internal URLs, asking for the sid', () => {
    expect(clients[1]).toMatchObject({
      jwks_uri: 'http://cart:8082/sso/jwks',
      backchannel_logout_uri: 'http://cart:8082/sso/backchannel-logout',
      backchannel_logout_session_required: true,
      post_logout_redirect_uris: ['https://cart.example/'],
    });
  });
});
