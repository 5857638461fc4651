/**
 * The ProviderPool status: what the operator observed, written only by the operator (server-side apply on the
 * status subresource). Like the spec, the CRD's schema for it is generated from these definitions, and the
 * descriptions feed `kubectl explain providerpool.status`.
 *
 * Numbers about traffic are merged from all sidecars' reports over the operator's reporting window; percentiles
 * come from merged histograms (never averaged percentiles). A field is absent when nothing has been measured.
 */
import * as z from 'zod';
import { kubernetes } from './kubernetes-meta.ts';

/** Condition types the operator sets (kubebuilder style: names as constants, reasons next to the code using them). */
export const CONDITION_TYPES = {
  /** The pool's configuration is valid and published, and at least one provider takes traffic. */
  Ready: 'Ready',
  /** Some providers are unhealthy or rate limited: the pool serves, with less capacity or choice. */
  Degraded: 'Degraded',
  /** Providers are answering 429 or report exhausted quota. */
  RateLimited: 'RateLimited',
} as const;
export type ConditionType = (typeof CONDITION_TYPES)[keyof typeof CONDITION_TYPES];

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/**
 * A provider's state as seen across the fleet. "Unhealthy" means its circuit breakers are open: traffic to it is
 * blocked (except half-open probes).
 */
export const PROVIDER_STATES = [
  'Healthy',
  'Degraded',
  'Unhealthy',
  'RateLimited',
  'Draining',
  'Unknown',
] as const;
export type ProviderState = (typeof PROVIDER_STATES)[number];

const count = (description: string) => z.number().int().min(0).max(2_147_483_647).describe(description);
const rate = (description: string) => z.number().min(0).optional().describe(description);
const ratio = (description: string) => z.number().min(0).max(1).optional().describe(description);

/** The shape of Kubernetes' metav1.Condition, with its validation. */
export const ConditionSchema = z
  .strictObject({
    type: z
      .string()
      .min(1)
      .max(316)
      .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
      )
      .describe(`Type of the condition in CamelCase: ${Object.values(CONDITION_TYPES).join(', ')}.`),
    status: z.enum(CONDITION_STATUSES).describe('Status of the condition: True, False or Unknown.'),
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The .metadata.generation the condition was computed from.'),
    lastTransitionTime: z.iso
      .datetime()
      .describe('When the condition last changed from one status to another (RFC 3339).'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe('Programmatic identifier (CamelCase) of the reason for the last transition.'),
    message: z.string().max(32768).describe('Human-readable details of the transition.'),
  })
  .describe('One aspect of the pool’s state (the shape of Kubernetes’ metav1.Condition).');
export type Condition = z.infer<typeof ConditionSchema>;

export const SidecarCountsSchema = z
  .strictObject({
    connected: count('Sidecars with an open sync stream to the operator.'),
    reporting: count('Sidecars that sent a report within the reporting window.'),
    onCurrentVersion: count('Sidecars that applied (acknowledged) the current configuration version.'),
  })
  .describe('The sidecars serving this pool, as the operator sees them.');

export const ProviderStatusSchema = z
  .strictObject({
    name: z.string().min(1).max(63).describe('Name of the provider, as in spec.providers[].name.'),
    state: z
      .enum(PROVIDER_STATES)
      .describe(
        'Healthy; Degraded (elevated errors or latency, or breakers open on some sidecars); Unhealthy ' +
          '(breakers open: traffic blocked but for probes); RateLimited (cooling down after 429s or exhausted ' +
          'quota); Draining (weight 0); Unknown (no reports yet).',
      ),
    effectiveWeight: z
      .number()
      .min(0)
      .optional()
      .describe(
        'Weight the operator currently pushes to sidecars (the spec weight after adaptive reweighting).',
      ),
    requestRate: rate('Requests per second sent to the provider, over all sidecars.'),
    errorRate: ratio('Share (0 to 1) of those requests that failed (transport errors and 5xx).'),
    rateLimitedRate: ratio('Share (0 to 1) of those requests the provider answered with 429.'),
    latencyP50Ms: rate('Median latency of a whole response, in milliseconds.'),
    latencyP95Ms: rate('95th percentile latency of a whole response, in milliseconds.'),
    timeToFirstTokenP50Ms: rate('Median time to the first streamed token, in milliseconds.'),
    rateLimitedModels: z
      .array(z.string().min(1).max(256).describe('A logical model.'))
      .max(64)
      .optional()
      .describe(
        'Logical models of this provider cooling down across the pool after 429s (a rate limit of one model ' +
          'sidelines that model only; its other models keep serving).',
      ),
  })
  .describe('What the fleet observes of one provider.');
export type ProviderStatus = z.infer<typeof ProviderStatusSchema>;

export const ProviderPoolStatusSchema = z
  .strictObject({
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The .metadata.generation of the spec this status describes.'),
    conditions: z
      .array(ConditionSchema)
      .max(16)
      .optional()
      .describe('Current conditions of the pool (Ready, Degraded, RateLimited), one per type.')
      .meta(kubernetes({ listMapKeys: ['type'] })),
    configVersion: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('Version of the configuration the operator publishes to the sidecars.'),
    providerCount: count('Number of providers in the spec (for `kubectl get`).').optional(),
    healthyProviderCount: count('Number of providers in state Healthy (for `kubectl get`).').optional(),
    sidecars: SidecarCountsSchema.optional(),
    providers: z
      .array(ProviderStatusSchema)
      .max(64)
      .optional()
      .describe('Per-provider observations, one entry per provider of the spec.')
      .meta(kubernetes({ listMapKeys: ['name'] })),
  })
  .superRefine((status, ctx) => {
    // What the API server's map lists check: one condition per type, one entry per provider.
    const once = (keys: readonly string[], list: string, key: string) => {
      const seen = new Set<string>();
      keys.forEach((k, i) => {
        if (seen.has(k))
          ctx.addIssue({ code: 'custom', path: [list, i, key], message: `duplicate ${key} "${k}"` });
        seen.add(k);
      });
    };
    once(
      (status.conditions ?? []).map((c) => c.type),
      'conditions',
      'type',
    );
    once(
      (status.providers ?? []).map((p) => p.name),
      'providers',
      'name',
    );
  })
  .describe('Observed state of the pool, written by the operator.');
export type ProviderPoolStatus = z.infer<typeof ProviderPoolStatusSchema>;
