import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, logLevels } from '@svt/shared/util-http';
import type { AuthConfig } from './auth.config';
import { AuthModule } from './auth.module';

/** The auth service, ready to listen; main.ts and the tests both use it. */
export async function createAuthApp(config: AuthConfig): Promise<NestFastifyApplication> {
  return createHttpApp(AuthModule.forRoot(config), {
    bodyLimit: config.BODY_LIMIT,
    bodies: 'json',
    logLevels: logLevels(config.NODE_ENV),
  });
}
