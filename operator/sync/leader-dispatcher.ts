import { X509Certificate } from 'node:crypto';
import { Agent, buildConnector } from 'undici';
import type { CertificateSource } from '../certs/serving-material.ts';

/**
 * How a follower dials the leader's TLS sync channel. Every replica serves the same certificate (issued for the
 * Service), but the leader is dialled at its pod address, which the certificate does not name: so trust the CA the
 * replicas share and check the leader's certificate for the first DNS name of our own. Both are read at each new
 * connection, so a rotation needs no restart.
 */
export function leaderDispatcher(certificates: CertificateSource): Agent {
  return new Agent({
    connect: (options, callback) => {
      const material = certificates.current();
      if (material === undefined) {
        callback(new Error('no serving certificate loaded yet: cannot verify the leader'), null);
        return;
      }
      const servername = firstDnsName(material.certPem);
      buildConnector({ ca: material.caPem, ...(servername === undefined ? {} : { servername }) })(
        options,
        callback,
      );
    },
  });
}

function firstDnsName(certPem: string): string | undefined {
  const names = new X509Certificate(certPem).subjectAltName ?? '';
  return /DNS:([^,\s]+)/.exec(names)?.[1];
}
