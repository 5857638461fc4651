/**
 * An express app served over HTTPS with the CertificateSource's current certificate, swapped in place on each
 * rotation (`tls.Server#setSecureContext`: new handshakes use the new certificate, open connections keep theirs).
 * Until a first certificate is known, handshakes fail; the operator's /readyz says not ready meanwhile.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { ListeningApp } from '../../core/express-app.ts';
import type { CertificateSource } from './serving-material.ts';

export async function listenTlsApp(
  app: Express,
  port: number,
  host: string,
  source: CertificateSource,
): Promise<ListeningApp> {
  const initial = source.current();
  const server: Server = createServer(
    initial === undefined ? {} : { cert: initial.certPem, key: initial.keyPem },
    app,
  );
  source.onChange((material) => server.setSecureContext({ cert: material.certPem, key: material.keyPem }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
