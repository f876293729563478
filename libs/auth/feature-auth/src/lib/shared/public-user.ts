import type { User } from '@svt/auth/data-access';

export interface PublicUser {
  readonly id: string;
  readonly email: string;
}

export const publicUser = (user: Pick<User, 'id' | 'email'>): PublicUser => ({
  id: user.id,
  email: user.email,
});

export const iso = (epochMs: number): string => new Date(epochMs).toISOString();
