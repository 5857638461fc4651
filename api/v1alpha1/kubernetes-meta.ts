/**
 * What the CustomResourceDefinition needs beyond what a zod schema can say, attached to the zod schema itself with
 * `.meta(kubernetes({...}))` so that the schema stays the one source: CEL rules, list semantics and the bounds the
 * API server needs to estimate the cost of those rules. None of it changes how zod parses: these are rules the
 * API server enforces on objects stored in a cluster (a standalone sidecar's file is checked by zod alone).
 *
 * `scripts/crd/generate-crd.ts` turns the metadata into `x-kubernetes-*` keywords (see structural-schema.ts).
 */
import * as z from 'zod';

/** How the API server classifies a failed rule in its error (`Invalid value`, `Forbidden`, `Required value`, ...). */
export const CEL_REASONS = [
  'FieldValueInvalid',
  'FieldValueForbidden',
  'FieldValueRequired',
  'FieldValueDuplicate',
] as const;

export const CelRuleSchema = z.strictObject({
  /** A CEL expression over `self` (the node the rule is attached to) that is true for a valid object. */
  rule: z.string().min(1),
  /** Shown to the user when the rule fails; names the field to fix. */
  message: z.string().min(1),
  /** Path (from `self`) of the field the error is reported at, e.g. `.env`; defaults to the node itself. */
  fieldPath: z.string().startsWith('.').optional(),
  reason: z.enum(CEL_REASONS).optional(),
});
export type CelRule = z.infer<typeof CelRuleSchema>;

export const KubernetesMetaSchema = z.strictObject({
  /** CEL rules (`x-kubernetes-validations`). */
  validations: z.array(CelRuleSchema).min(1).optional(),
  /**
   * Makes a list of objects a map keyed by these item fields (`x-kubernetes-list-type: map`): the API server
   * rejects two items with the same key, and server-side apply merges items by key instead of replacing the list.
   */
  listMapKeys: z.array(z.string().min(1)).min(1).optional(),
  /**
   * Bounds only the cluster enforces. The API server refuses a CEL rule whose worst-case cost it cannot bound, so
   * lists and strings that rules iterate over need a maximum. Allowed only where zod declares none.
   */
  maxItems: z.number().int().min(1).optional(),
  maxLength: z.number().int().min(1).optional(),
});
export type KubernetesMeta = z.infer<typeof KubernetesMetaSchema>;

/** The key under which the metadata travels through `z.toJSONSchema` (zod copies metadata onto the JSON node). */
export const KUBERNETES_META_KEY = 'x-switchboard-kubernetes';

/** Metadata for `.meta()`: `z.array(P).meta(kubernetes({ listMapKeys: ['name'] }))`. */
export function kubernetes(meta: KubernetesMeta): { [KUBERNETES_META_KEY]: KubernetesMeta } {
  return { [KUBERNETES_META_KEY]: KubernetesMetaSchema.parse(meta) };
}
