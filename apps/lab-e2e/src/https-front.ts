import { execFile } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import { promisify } from 'node:util';

/**
 * TLS in front of a plain-HTTP service, as a load balancer would terminate
 * it: for browser behaviour that https alone unlocks (Device Bound Session
 * Credentials register only over https whose certificate Chromium trusts).
 * It decrypts and pipes raw bytes, so HTTP/1.1 keep-alive and WebSocket
 * upgrades pass untouched, and the service sees an ordinary HTTP client.
 *
 * The certificate is self-signed for made-up names (`shop.test`), generated
 * per run. Chromium trusts exactly this key through
 * `--ignore-certificate-errors-spki-list`, which, unlike
 * `--ignore-certificate-errors`, counts as a valid certificate for features
 * that require one.
 */
export interface HttpsFront {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** `https://<name>:<port>`, e.g. SHOP's public origin. */
  origin(name: string): string;
  /** Base64 SHA-256 of the certificate's SubjectPublicKeyInfo, for Chromium's SPKI list. */
  readonly spkiHash: string;
  /** Where the decrypted bytes go from now on: the service's plain-HTTP port on 127.0.0.1. */
  forwardTo(port: number): void;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Listens before the service starts, because the service must be told its
 * public origin (with this port) when it starts; `forwardTo` then points it
 * at the service. A connection accepted before that is dropped.
 */
export async function startHttpsFront(names: readonly string[]): Promise<HttpsFront> {
  const { key, cert } = await selfSignedCertificate(names);
  const spki = createPublicKey(cert).export({ type: 'spki', format: 'der' });
  const sockets = new Set<Socket>();
  let target: number | undefined;

  const server = createServer({ key, cert }, (client) => {
    if (target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // A reset on one side ends the other; the peer sees a closed connection, as behind a real proxy.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    port,
    origin: (name) => `https://${name}:${port}`,
    spkiHash: createHash('sha256').update(spki).digest('base64'),
    forwardTo: (servicePort) => {
      target = servicePort;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A P-256 key and a certificate valid for a day, naming every one of `names` as a DNS SAN. */
export async function selfSignedCertificate(
  names: readonly string[],
): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'svt-lab-front-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ]);
    return { key: await readFile(keyFile), cert: await readFile(certFile) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
