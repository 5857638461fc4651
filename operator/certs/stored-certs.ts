/**
 * Reads certificate material (PEM) into the facts the policy decides on, with Node's own X509Certificate: whether
 * each key matches its certificate, whether the serving certificate is signed by the CA, its names and validity.
 * Anything unparseable reads as absent, so the policy issues anew rather than failing.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type { StoredCertFacts } from './cert-policy.ts';

export interface CertMaterial {
  readonly caCrt?: string;
  readonly caKey?: string;
  readonly tlsCrt?: string;
  readonly tlsKey?: string;
}

function certificate(pem: string | undefined): X509Certificate | undefined {
  if (pem === undefined || pem.trim() === '') return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function privateKey(pem: string | undefined): KeyObject | undefined {
  if (pem === undefined || pem.trim() === '') return undefined;
  try {
    return createPrivateKey(pem);
  } catch {
    return undefined;
  }
}

/** Names in a subjectAltName string, e.g. `DNS:a, DNS:b, IP Address:127.0.0.1`. */
function altNames(cert: X509Certificate): { dnsNames: string[]; ipAddresses: string[] } {
  const entries = (cert.subjectAltName ?? '').split(/,\s*/).filter((e) => e !== '');
  const valuesOf = (prefix: string) =>
    entries.filter((e) => e.startsWith(prefix)).map((e) => e.slice(prefix.length));
  return { dnsNames: valuesOf('DNS:'), ipAddresses: valuesOf('IP Address:') };
}

const time = (text: string) => new Date(text).getTime();

export function inspectCertificates(material: CertMaterial): StoredCertFacts {
  const caCert = certificate(material.caCrt);
  const caKey = privateKey(material.caKey);
  const tlsCert = certificate(material.tlsCrt);
  const tlsKey = privateKey(material.tlsKey);
  return {
    ca:
      caCert === undefined
        ? undefined
        : {
            notBefore: time(caCert.validFrom),
            notAfter: time(caCert.validTo),
            // The issuer signs with ECDSA P-256: a CA key of another kind cannot be used to sign.
            keyMatches:
              caKey !== undefined &&
              caKey.asymmetricKeyType === 'ec' &&
              caKey.asymmetricKeyDetails?.namedCurve === 'prime256v1' &&
              caCert.ca &&
              caCert.checkPrivateKey(caKey),
          },
    serving:
      tlsCert === undefined
        ? undefined
        : {
            notBefore: time(tlsCert.validFrom),
            notAfter: time(tlsCert.validTo),
            issuedByCa:
              caCert !== undefined && tlsCert.checkIssued(caCert) && tlsCert.verify(caCert.publicKey),
            keyMatches: tlsKey !== undefined && tlsCert.checkPrivateKey(tlsKey),
            ...altNames(tlsCert),
          },
  };
}
