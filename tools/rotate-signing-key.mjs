#!/usr/bin/env node
// `npm run keys:rotate`: adds the next access-token signing key to the auth
// database that `npm start` uses (same .env, same AUTH_DATABASE_URL mapping).
// Running services pick it up on their own; nobody is logged out.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));

const env = { ...process.env };
if (env.AUTH_DATABASE_URL) env.DATABASE_URL = env.AUTH_DATABASE_URL;
const result = spawnSync(
  process.execPath,
  [join(root, 'dist', 'apps', 'auth', 'main.js'), 'rotate-signing-key'],
  { cwd: root, env, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
