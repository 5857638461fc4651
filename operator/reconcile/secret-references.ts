import type { ProviderPoolSpec } from '../../api/v1alpha1/providerpool.ts';

/** What the reconciler knows of the Secrets in a pool's namespace: name → the keys each holds. */
export type SecretIndex = ReadonlyMap<string, ReadonlySet<string>>;

export interface SecretProblem {
  /** Field path of the reference, e.g. `spec.providers[0].apiKey.secretKeyRef`. */
  readonly field: string;
  readonly message: string;
}

/** Every `secretKeyRef` whose Secret or key does not exist, in manifest order. */
export function missingSecretReferences(spec: ProviderPoolSpec, secrets: SecretIndex): SecretProblem[] {
  const problems: SecretProblem[] = [];
  spec.providers.forEach((provider, i) => {
    const ref = provider.apiKey?.secretKeyRef;
    if (!ref) return;
    const field = `spec.providers[${i}].apiKey.secretKeyRef`;
    const keys = secrets.get(ref.name);
    if (!keys)
      problems.push({ field, message: `Secret "${ref.name}" not found (provider ${provider.name})` });
    else if (!keys.has(ref.key)) {
      problems.push({
        field,
        message: `Secret "${ref.name}" has no key "${ref.key}" (provider ${provider.name})`,
      });
    }
  });
  return problems;
}

/** The Secrets a pool refers to, for watching them. */
export function referencedSecretNames(spec: ProviderPoolSpec): Set<string> {
  const names = new Set<string>();
  for (const p of spec.providers) if (p.apiKey?.secretKeyRef) names.add(p.apiKey.secretKeyRef.name);
  return names;
}
