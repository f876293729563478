import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@svt/shared/testing';

/** Starts a built service with exactly `env` and collects how it ended. */
function run(
  app: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const root = findWorkspaceRoot();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'apps', app, 'main.js')], {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('starting a service with a bad environment', () => {
  it.each(['auth', 'gateway', 'cart'])(
    '%s lists every problem at once and exits 78',
    async (app) => {
      const { code, stderr } = await run(app, {
        PORT: 'eighty',
        SHOP_ORIGIN: 'http://shop.localhost:8080/with/a/path',
        REDIS_URL: 'memcached://nope',
      });
      expect(code).toBe(78);
      expect(stderr).toContain(`Invalid configuration for ${app}`);
      expect(stderr).toMatch(/PORT:/);
      expect(stderr).toMatch(/SHOP_ORIGIN:/);
      expect(stderr).toMatch(/REDIS_URL:/);
      expect(stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('auth refuses the development key-encryption placeholder in production', async () => {
    const { code, stderr } = await run('auth', { NODE_ENV: 'production' });
    expect(code).toBe(78);
    expect(stderr).toMatch(
      /KEY_ENCRYPTION_SECRET: the development placeholder is refused in production/,
    );
  });

  it.each(['gateway', 'cart'])(
    '%s refuses the development single sign-on cookie placeholder in production',
    async (app) => {
      const { code, stderr } = await run(app, { NODE_ENV: 'production' });
      expect(code).toBe(78);
      expect(stderr).toMatch(
        /SSO_COOKIE_SECRET: the development placeholder is refused in production/,
      );
    },
  );
});
