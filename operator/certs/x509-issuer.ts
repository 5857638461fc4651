/**
 * Issues the operator's CA and serving certificates (ECDSA P-256, SHA-256) with @peculiar/x509 over Node's WebCrypto.
 *
 * Why this library: Node's crypto parses certificates (X509Certificate) but cannot issue them. @peculiar/x509 is
 * typed, maintained, and signs with the platform's WebCrypto (native ECDSA, no hand-written maths), where node-forge
 * implements RSA signing in JavaScript and has no ECDSA certificates. Its dependency injection (tsyringe) needs the
 * reflect-metadata polyfill, imported first here (ES modules evaluate imports in order).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { issuedNotBefore } from './cert-policy.ts';

// The library signs with the platform's WebCrypto (globalThis.crypto in Node), its default provider.

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyPairPem {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ServingNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/** A positive 127-bit serial number (RFC 5280: unique per CA, at most 20 octets, positive). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** A self-signed CA that may sign end-entity certificates only (path length 0). */
export async function issueCa(now: number, validityMs: number, commonName: string): Promise<KeyPairPem> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    notBefore: new Date(issuedNotBefore(now, validityMs)),
    notAfter: new Date(now + validityMs),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** A TLS server certificate for `names`, signed by `ca`, never outliving it. */
export async function issueServing(
  ca: KeyPairPem,
  names: ServingNames,
  now: number,
  validityMs: number,
): Promise<KeyPairPem> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await keyPair();
  const notAfter = Math.min(now + validityMs, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${names.dnsNames[0] ?? names.ipAddresses[0] ?? 'switchboard-operator'}`,
    issuer: caCert.subject,
    notBefore: new Date(issuedNotBefore(now, validityMs)),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}
