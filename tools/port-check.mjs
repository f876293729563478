// The ports `npm start` is about to bind, checked before anything starts, so
// that a second `npm start` (or anything else on 8080–8082, 9180–9182) is named
// at once instead of answering the first one's health checks.
import { createServer } from 'node:net';

/**
 * @typedef {object} WantedPort
 * @property {number} port
 * @property {string} host Where it will be bound, e.g. `127.0.0.1`.
 * @property {string} owner Who wants it, e.g. `auth`, `auth metrics`, `auth balancer`.
 * @property {string} variable What moves it, e.g. `AUTH_PORT`.
 */

/** Resolves to the error code of binding `port` on `host` now, or null when it could be bound. */
function tryBind(port, host) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error) => resolve(error.code ?? String(error)));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/**
 * One sentence per port of `wanted` that cannot be had: wanted twice, in use,
 * or not allowed. Empty when every port is free. Port 0 (any free port) and
 * ports that are not numbers (the service's own config check says so) are
 * left alone.
 *
 * @param {WantedPort[]} wanted
 * @returns {Promise<string[]>}
 */
export async function portProblems(wanted) {
  const problems = [];
  const first = new Map();
  const distinct = [];
  for (const entry of wanted) {
    if (!Number.isInteger(entry.port) || entry.port <= 0 || entry.port > 65_535) continue;
    const earlier = first.get(entry.port);
    if (earlier) {
      problems.push(
        `port ${entry.port} is wanted by both ${earlier.owner} and ${entry.owner}: set ${earlier.variable} or ${entry.variable} to another port`,
      );
      continue;
    }
    first.set(entry.port, entry);
    distinct.push(entry);
  }
  const codes = await Promise.all(distinct.map(({ port, host }) => tryBind(port, host)));
  distinct.forEach(({ port, host, owner, variable }, i) => {
    if (codes[i] === 'EADDRINUSE') {
      problems.push(
        `port ${port} (${owner}) is in use: is another npm start running? Stop it, or set ${variable}`,
      );
    } else if (codes[i] === 'EACCES') {
      problems.push(`port ${port} (${owner}) may not be bound by this user: set ${variable}`);
    } else if (codes[i] !== null) {
      problems.push(`port ${port} (${owner}) cannot be bound on ${host}: ${codes[i]}`);
    }
  });
  return problems;
}
