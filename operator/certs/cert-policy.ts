/**
 * When the operator (managed mode, leader only) issues certificates: a pure decision over what the Secret holds
 * now, tested in virtual time (cert-policy.test.ts).
 *
 *   nothing usable stored ─────────────────────────► issue a CA and a serving certificate
 *   CA past its renewal point (2/3 of its life) ───► issue a CA and a serving certificate
 *   serving cert missing, not from this CA, its key
 *   not matching, lacking a wanted name, or past its
 *   renewal point (2/3 of its life) ──────────────► issue a serving certificate under the same CA
 *   otherwise ─────────────────────────────────────► keep; look again at the earlier renewal point
 *
 * Rotation. The serving certificate is short-lived (default 90 days) and renewed at 2/3 of its life under the same
 * CA, so nothing that trusts the CA notices: the webhook's caBundle and the CA PEM injected into pods stay valid.
 * The CA is long-lived (default 10 years). Renewing it (above, at 2/3 of its life, or when the Secret's CA is lost)
 * is a hard rotation: the webhook's caBundle is re-patched at once, but sidecars injected before carry the old CA in
 * SWITCHBOARD_OPERATOR_CA_PEM and cannot verify the sync channel until their pods are restarted (they keep serving
 * their last configuration meanwhile). A soft CA rotation would publish old + new CA as the bundle (ca.crt holding
 * both, injected and patched), keep serving from the old CA until every pod has been restarted, then switch the
 * serving certificate to the new CA and drop the old one; it is not implemented, as a 10-year CA makes it rare
 * (`kubectl rollout restart` the injected workloads after deleting the Secret's data does the hard one).
 */

/** What the stored material says, parsed and checked (see stored-certs.ts). */
export interface StoredCertFacts {
  readonly ca:
    { readonly notBefore: number; readonly notAfter: number; readonly keyMatches: boolean } | undefined;
  readonly serving:
    | {
        readonly notBefore: number;
        readonly notAfter: number;
        /** Signed by the stored CA. */
        readonly issuedByCa: boolean;
        readonly keyMatches: boolean;
        readonly dnsNames: readonly string[];
        readonly ipAddresses: readonly string[];
      }
    | undefined;
}

export interface CertSettings {
  readonly caValidityMs: number;
  readonly servingValidityMs: number;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

export const DEFAULT_CA_VALIDITY_MS = 10 * 365 * 24 * 3600_000;
export const DEFAULT_SERVING_VALIDITY_MS = 90 * 24 * 3600_000;
/** Renew at this share of a certificate's life (cert-manager's default for its certificates too). */
export const RENEW_AT_FRACTION = 2 / 3;

export type CertDecision =
  | { readonly action: 'issue-ca'; readonly reason: string }
  | { readonly action: 'issue-serving'; readonly reason: string }
  | { readonly action: 'keep'; readonly nextCheckAt: number };

export const renewalPoint = (cert: { notBefore: number; notAfter: number }): number =>
  cert.notBefore + (cert.notAfter - cert.notBefore) * RENEW_AT_FRACTION;

/** notBefore for a certificate issued now: back-dated a little so a peer whose clock lags still accepts it. */
export function issuedNotBefore(now: number, validityMs: number): number {
  return now - Math.min(5 * 60_000, validityMs / 10);
}

export function decideCertificates(
  stored: StoredCertFacts,
  settings: CertSettings,
  now: number,
): CertDecision {
  const { ca, serving } = stored;
  if (ca === undefined) return { action: 'issue-ca', reason: 'no CA is stored' };
  if (!ca.keyMatches)
    return { action: 'issue-ca', reason: 'the stored CA key does not match its certificate' };
  if (now >= ca.notAfter) return { action: 'issue-ca', reason: 'the CA has expired' };
  if (now >= renewalPoint(ca)) return { action: 'issue-ca', reason: 'the CA is due for renewal' };
  if (serving === undefined) return { action: 'issue-serving', reason: 'no serving certificate is stored' };
  if (!serving.issuedByCa)
    return { action: 'issue-serving', reason: 'the serving certificate is not signed by the CA' };
  if (!serving.keyMatches)
    return { action: 'issue-serving', reason: 'the serving key does not match its certificate' };
  const missing = [
    ...settings.dnsNames.filter((n) => !serving.dnsNames.includes(n)),
    ...settings.ipAddresses.filter((ip) => !serving.ipAddresses.includes(ip)),
  ];
  if (missing.length > 0)
    return { action: 'issue-serving', reason: `the serving certificate lacks ${missing.join(', ')}` };
  if (now >= serving.notAfter)
    return { action: 'issue-serving', reason: 'the serving certificate has expired' };
  if (now >= renewalPoint(serving))
    return { action: 'issue-serving', reason: 'the serving certificate is due for renewal' };
  return { action: 'keep', nextCheckAt: Math.min(renewalPoint(serving), renewalPoint(ca)) };
}

/** The names a serving certificate for Service `service` in `namespace` answers to. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}
