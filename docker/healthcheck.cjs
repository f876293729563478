// HEALTHCHECK of the service images: exit 0 when GET /health/ready answers 200.
// The port is PORT, else the service's default (APP is set by the Dockerfile).
'use strict';
const http = require('node:http');

const DEFAULT_PORTS = { gateway: 8080, auth: 8081, cart: 8082, 'mail-catcher': 1080 };
const port = Number(process.env.PORT) || DEFAULT_PORTS[process.env.APP] || 8080;

const request = http.get(
  { host: '127.0.0.1', port, path: '/health/ready', timeout: 2500 },
  (response) => {
    response.resume();
    process.exit(response.statusCode === 200 ? 0 : 1);
  },
);
request.on('timeout', () => request.destroy(new Error('timeout')));
request.on('error', () => process.exit(1));
