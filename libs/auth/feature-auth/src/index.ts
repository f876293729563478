export { authConfigSchema } from './lib/auth.config';
export type { AuthConfig } from './lib/auth.config';
export { AuthModule } from './lib/auth.module';
export { createAuthApp } from './lib/create-auth-app';
export { sendTestMail } from './lib/mail/send-test-mail';
export { normaliseEmail } from './lib/shared/email';
export { keyReloadIntervalMs } from './lib/keys/signing-keys.service';
export { revokeSigningKey, rotateSigningKey } from './lib/keys/signing-key-commands';
