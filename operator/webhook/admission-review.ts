/** The admission.k8s.io/v1 AdmissionReview: what the API server sends a webhook, and the answer it expects. */
import { z } from 'zod';
import type { JsonPatchOperation } from './inject-sidecar.ts';

export const AdmissionRequestSchema = z.looseObject({
  uid: z.string().min(1),
  kind: z.looseObject({ group: z.string(), version: z.string(), kind: z.string() }),
  namespace: z.string().optional(),
  operation: z.string(),
  object: z.record(z.string(), z.unknown()).optional(),
  dryRun: z.boolean().optional(),
});

export const AdmissionReviewSchema = z.looseObject({
  apiVersion: z.literal('admission.k8s.io/v1'),
  kind: z.literal('AdmissionReview'),
  request: AdmissionRequestSchema,
});

export type AdmissionRequest = z.infer<typeof AdmissionRequestSchema>;

export interface AdmissionAnswer {
  readonly patch?: readonly JsonPatchOperation[];
  readonly warnings?: readonly string[];
}

/** An allowing review for `uid`, with the patch (base64 JSON, as the API requires) when there is one. */
export function admissionResponse(uid: string, answer: AdmissionAnswer = {}) {
  const patch = answer.patch ?? [];
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: true,
      ...(patch.length === 0
        ? {}
        : { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }),
      ...(answer.warnings === undefined || answer.warnings.length === 0 ? {} : { warnings: answer.warnings }),
    },
  };
}
