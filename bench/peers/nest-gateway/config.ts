// eslint-disable-next-line no-restricted-syntax -- a bench peer has no config schema: the harness sets its env
const env = process.env;

const missing = ['UPSTREAM_URL', 'JWKS_URL', 'ISSUER', 'AUDIENCE'].filter((name) => !env[name]);
if (missing.length > 0) {
  console.error(`Missing environment variables: ${missing.join(', ')}.`);
  process.exit(1);
}

/** What the bench harness passes in the environment. */
export const config = {
  port: Number(env.PORT ?? 0),
  upstreamUrl: env.UPSTREAM_URL as string,
  jwksUrl: env.JWKS_URL as string,
  issuer: env.ISSUER as string,
  audience: env.AUDIENCE as string,
};
