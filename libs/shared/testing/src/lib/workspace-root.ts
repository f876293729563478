import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The Nx workspace root: the nearest directory at or above `from` holding
 * `nx.json`. The services are started from there, as `nx` would.
 */
export function findWorkspaceRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`No nx.json found at or above ${from}`);
    }
    dir = parent;
  }
}
