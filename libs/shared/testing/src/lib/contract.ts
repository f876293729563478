/** Response bodies of the public contract (/work/shared/API.md), as the suites read them. */

export const SESSION_COOKIE = '__Host-Http-sid';
/** The short-lived cookie of a device-bound session (DBSC), refreshed with a proof of its key. */
export const BOUND_COOKIE = '__Host-sid-bound';
/** The device cookie a browser gets at a session login (OWASP device cookies). */
export const DEVICE_COOKIE = '__Secure-device';

export interface UserBody {
  id: string;
  email: string;
  emailVerified: boolean;
}

export interface SessionBody {
  user: UserBody;
  csrfToken: string;
  /** The absolute timeout. */
  expiresAt: string;
  /** When the session ends without activity. */
  idleExpiresAt: string;
}

/** One row of `GET /auth/sessions`. */
export interface SessionListingBody {
  id: string;
  method: 'session' | 'bearer';
  createdAt: string;
  lastSeenAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
  /** Whether a DBSC key is registered for it. */
  deviceBound: boolean;
}

export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
}

export interface AuthMeBody extends UserBody {
  method: 'session' | 'bearer' | 'dpop';
}

export interface GatewayMeBody {
  userId: string;
  method: 'session' | 'bearer' | 'dpop';
  /** For a session: whether it is device-bound (DBSC). */
  deviceBound?: boolean;
}

export interface CartItem {
  sku: string;
  quantity: number;
}

export interface CartBody {
  items: CartItem[];
  updatedAt: string | null;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { field: string; message: string }[];
}

export interface JwksBody {
  keys: Record<string, unknown>[];
}
