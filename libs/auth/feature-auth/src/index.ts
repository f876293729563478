export { authConfigSchema } from './lib/auth.config';
export type { AuthConfig } from './lib/auth.config';
export { AuthModule } from './lib/auth.module';
export { createAuthApp } from './lib/create-auth-app';
export { normaliseEmail } from './lib/email';
export { rotateSigningKey } from './lib/rotate-signing-key';
