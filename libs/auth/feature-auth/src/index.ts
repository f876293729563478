export { authConfigSchema } from './lib/auth.config';
export type { AuthConfig } from './lib/auth.config';
export { AuthModule } from './lib/auth.module';
export { createAuthApp } from './lib/create-auth-app';
export { normaliseEmail } from './lib/email';
export { keyReloadIntervalMs } from './lib/signing-keys.service';
export { revokeSigningKey, rotateSigningKey } from './lib/signing-key-commands';
