export interface PageCorsOptions {
  /** Whether the page's cookies go along (`fetch(..., { credentials: 'include' })`). */
  readonly credentials: boolean;
  readonly methods: readonly string[];
  /** Request headers a page may send besides Authorization and Content-Type. */
  readonly extraHeaders?: readonly string[];
}

/**
 * CORS for the pages of one origin calling a service from another: they may
 * send an access token (Bearer, or DPoP with its proof) and JSON, and read
 * why a call failed (`WWW-Authenticate`), the nonce the next proof needs
 * (`DPoP-Nonce`) and when to retry (`Retry-After`); browsers keep the
 * preflight 10 minutes.
 */
export function pageCors(origin: string, options: PageCorsOptions) {
  return {
    origin: [origin],
    credentials: options.credentials,
    methods: [...options.methods],
    allowedHeaders: ['Authorization', 'Content-Type', 'DPoP', ...(options.extraHeaders ?? [])],
    exposedHeaders: ['Retry-After', 'WWW-Authenticate', 'DPoP-Nonce'],
    maxAge: 600,
  };
}
