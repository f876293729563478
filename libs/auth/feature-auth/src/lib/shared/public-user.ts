import type { User } from '@svt/auth/data-access';

export interface PublicUser {
  readonly id: string;
  readonly email: string;
  /** Whether the owner proved the mailbox (a verification or password reset link). */
  readonly emailVerified: boolean;
}

export const publicUser = (user: Pick<User, 'id' | 'email' | 'emailVerifiedAt'>): PublicUser => ({
  id: user.id,
  email: user.email,
  emailVerified: user.emailVerifiedAt !== null,
});

export const iso = (epochMs: number): string => new Date(epochMs).toISOString();
