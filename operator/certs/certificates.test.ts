/** Issuing, inspecting and serving the operator's certificates, with real TLS handshakes on port 0. */
import { describe, expect, test } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate } from 'node:tls';
import express from 'express';
import { issueCa, issueServing, type KeyPairPem } from './x509-issuer.ts';
import { inspectCertificates } from './stored-certs.ts';
import { listenTlsApp } from './tls-listener.ts';
import { MaterialListeners, type CertificateSource, type ServingMaterial } from './serving-material.ts';

const NAMES = { dnsNames: ['switchboard-operator.switchboard.svc'], ipAddresses: ['127.0.0.1'] };
const HOUR = 3_600_000;

/** A source whose material the test sets. */
class TestSource implements CertificateSource {
  #current: ServingMaterial | undefined;
  readonly #listeners = new MaterialListeners((err) => {
    throw err;
  });
  current = () => this.#current;
  onChange = (listener: (m: ServingMaterial) => void) => this.#listeners.add(listener);
  start = () => Promise.resolve();
  stop = () => Promise.resolve();
  set(material: ServingMaterial): void {
    this.#current = material;
    this.#listeners.notify(material);
  }
}

/** The certificate a client trusting `caPem` is shown by 127.0.0.1:port (rejects when it fails verification). */
function peerCertificate(port: number, caPem: string, servername?: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port, ca: caPem, ...(servername ? { servername } : {}) },
      () => {
        resolve(socket.getPeerCertificate());
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

const material = (ca: KeyPairPem, serving: KeyPairPem): ServingMaterial => ({
  caPem: ca.certPem,
  certPem: serving.certPem,
  keyPem: serving.keyPem,
});

describe('operator certificates', () => {
  test('a serving certificate is signed by the CA, names what was asked and never outlives the CA', async () => {
    const now = Date.now();
    const ca = await issueCa(now, HOUR, 'test-ca');
    const serving = await issueServing(ca, NAMES, now, 2 * HOUR);
    const facts = inspectCertificates({
      caCrt: ca.certPem,
      caKey: ca.keyPem,
      tlsCrt: serving.certPem,
      tlsKey: serving.keyPem,
    });
    expect(facts.ca?.keyMatches).toBe(true);
    expect(facts.serving).toMatchObject({ issuedByCa: true, keyMatches: true, ...NAMES });
    expect(facts.serving?.notAfter).toBe(facts.ca?.notAfter);
  });

  test('material from another CA, swapped keys or garbage reads as unusable', async () => {
    const now = Date.now();
    const ca = await issueCa(now, HOUR, 'a');
    const other = await issueCa(now, HOUR, 'b');
    const serving = await issueServing(ca, NAMES, now, HOUR);
    expect(
      inspectCertificates({
        caCrt: other.certPem,
        caKey: other.keyPem,
        tlsCrt: serving.certPem,
        tlsKey: serving.keyPem,
      }).serving?.issuedByCa,
    ).toBe(false);
    expect(inspectCertificates({ caCrt: ca.certPem, caKey: other.keyPem }).ca?.keyMatches).toBe(false);
    expect(inspectCertificates({ tlsCrt: serving.certPem, tlsKey: ca.keyPem }).serving?.keyMatches).toBe(
      false,
    );
    // A serving certificate is not a CA: it cannot be stored as one.
    expect(inspectCertificates({ caCrt: serving.certPem, caKey: serving.keyPem }).ca?.keyMatches).toBe(false);
    expect(inspectCertificates({ caCrt: 'not a certificate', tlsCrt: '' })).toEqual({
      ca: undefined,
      serving: undefined,
    });
  });

  test('a TLS server swaps its certificate on rotation: new handshakes see the new one, both verify by the CA', async () => {
    const now = Date.now();
    const ca = await issueCa(now, HOUR, 'test-ca');
    const first = await issueServing(ca, NAMES, now, HOUR);
    const source = new TestSource();
    source.set(material(ca, first));
    const app = express();
    const server = await listenTlsApp(app, 0, '127.0.0.1', source);
    try {
      const before = await peerCertificate(server.port, ca.certPem);
      const second = await issueServing(ca, NAMES, now + 1000, HOUR);
      source.set(material(ca, second));
      const after = await peerCertificate(server.port, ca.certPem, 'switchboard-operator.switchboard.svc');
      expect(after.serialNumber).not.toBe(before.serialNumber);
      expect(after.fingerprint256).toBe(new X509Certificate(second.certPem).fingerprint256);
      // A client that trusts another CA refuses it.
      const stranger = await issueCa(now, HOUR, 'stranger');
      await expect(peerCertificate(server.port, stranger.certPem)).rejects.toThrow(
        /self-signed|unable to verify/i,
      );
    } finally {
      await server.close();
    }
  });

  test('a TLS server with no certificate yet refuses handshakes, then serves once one arrives', async () => {
    const now = Date.now();
    const ca = await issueCa(now, HOUR, 'test-ca');
    const source = new TestSource();
    const server = await listenTlsApp(express(), 0, '127.0.0.1', source);
    try {
      await expect(peerCertificate(server.port, ca.certPem)).rejects.toThrow();
      source.set(material(ca, await issueServing(ca, NAMES, now, HOUR)));
      await expect(peerCertificate(server.port, ca.certPem)).resolves.toMatchObject({
        subject: expect.anything(),
      });
    } finally {
      await server.close();
    }
  });
});
