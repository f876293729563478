#!/usr/bin/env node
// `npm run keys:rotate` and `npm run keys:revoke -- <kid>`: run auth's signing-key
// commands against the auth database that `npm start` uses (same .env, same
// AUTH_DATABASE_URL mapping). Running services pick the change up on their own.
//   rotate: adds the next key; nobody is logged out.
//   revoke <kid>: withdraws a compromised key at once; its tokens die early.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COMMANDS = { rotate: 'rotate-signing-key', revoke: 'revoke-signing-key' };
const [verb, ...args] = process.argv.slice(2);
if (!(verb in COMMANDS)) {
  console.error('usage: node tools/signing-keys.mjs rotate | revoke <kid>');
  process.exit(64);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));

const env = { ...process.env };
if (env.AUTH_DATABASE_URL) env.DATABASE_URL = env.AUTH_DATABASE_URL;
const result = spawnSync(
  process.execPath,
  [join(root, 'dist', 'apps', 'auth', 'main.js'), COMMANDS[verb], ...args],
  { cwd: root, env, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
