/**
 * The ProviderPool API: the one source of truth for the manifest a standalone sidecar reads from a file and the
 * cluster stores as a custom resource. TypeScript types come from `z.infer`; runtime validation and the CRD's
 * OpenAPI schema (providerpool-crd.ts, `npm run crd:generate`) are derived from the same definitions.
 * Descriptions feed `kubectl explain`. What only a cluster checks (CEL rules, map lists, cost bounds) sits next to
 * the field it concerns as `.meta(kubernetes(...))` (kubernetes-meta.ts) and does not change how zod parses.
 */
import * as z from 'zod';
import { kubernetes } from './kubernetes-meta.ts';

export const API_GROUP = 'switchboard.dev';
export const API_VERSION = 'v1alpha1';
export const KIND = 'ProviderPool';

/** The routing strategies a pool (or, where the pool allows, a request) can choose. */
export const STRATEGY_NAMES = [
  'round-robin',
  'weighted-round-robin',
  'least-connections',
  'response-time',
  'cost-based',
  'health-aware',
  'adaptive',
] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export const PROVIDER_TYPES = ['openai', 'openai-compatible', 'azure-openai', 'anthropic', 'gemini'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/**
 * How a provider can continue an assistant message that was cut mid-stream (see the README's "Mid-stream
 * continuation"): `prefill` (the request ends with the partial assistant turn, Anthropic's assistant prefill),
 * `continue-final-message` (vLLM's `continue_final_message: true` with `add_generation_prompt: false`), `none`.
 */
export const CONTINUATION_MODES = ['prefill', 'continue-final-message', 'none'] as const;
export type ContinuationMode = (typeof CONTINUATION_MODES)[number];

const nonNegative = (description: string) => z.number().min(0).describe(description);
const milliseconds = (description: string, fallback: number) =>
  z.number().int().min(1).max(3_600_000).default(fallback).describe(`${description} In milliseconds.`);

/** A DNS-1123 label: lower-case alphanumerics and '-', as Kubernetes names are. */
const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lower-case letters, digits and "-" (a DNS label)');

export const SecretKeyRefSchema = z
  .strictObject({
    name: dnsLabel.describe('Name of a Secret in the pool’s namespace.'),
    key: z.string().min(1).max(253).describe('Key in that Secret whose value is the API key.'),
  })
  .describe('A key of a Secret in the same namespace (mounted into the sidecar).');

export const ApiKeySourceSchema = z
  .strictObject({
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional()
      .describe('Read the key from this environment variable (standalone sidecars only).'),
    secretKeyRef: SecretKeyRefSchema.optional(),
  })
  .refine((s) => (s.env === undefined) !== (s.secretKeyRef === undefined), {
    message: 'set exactly one of env or secretKeyRef',
  })
  .describe(
    'Where the provider’s API key comes from. The key itself never appears in the manifest. ' +
      'In a cluster only secretKeyRef is allowed; omit apiKey for a provider that needs no key.',
  )
  .meta(
    kubernetes({
      validations: [
        {
          // A cluster object must not depend on the environment of whatever pod happens to run the sidecar.
          rule: '!has(self.env)',
          message: 'apiKey.env is for standalone sidecars only: in a cluster, use apiKey.secretKeyRef',
          fieldPath: '.env',
          reason: 'FieldValueForbidden',
        },
        {
          // `|| has(self.env)`: an env key is already reported by the rule above, once is enough.
          rule: 'has(self.secretKeyRef) || has(self.env)',
          message:
            'apiKey.secretKeyRef is required in a cluster (or omit apiKey if the provider needs no key)',
          fieldPath: '.secretKeyRef',
          reason: 'FieldValueRequired',
        },
      ],
    }),
  );

export const PricingSchema = z
  .strictObject({
    inputPerMillionTokens: nonNegative('USD per million input (prompt) tokens.'),
    outputPerMillionTokens: nonNegative('USD per million output (completion) tokens.'),
  })
  .describe('Prices of this model at this provider, used by the cost-based strategy and cost metrics.');

const perMinute = (what: string) =>
  z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      `${what} per minute the provider allows this pool as a whole. With an operator the limit is split across ` +
        'the sidecars by their recent demand and each enforces its share; a standalone sidecar enforces it whole.',
    );

export const ProviderLimitsSchema = z
  .strictObject({
    requestsPerMinute: perMinute('Requests'),
    tokensPerMinute: perMinute('Tokens (input and output)'),
  })
  .describe(
    'The provider’s limits for the whole fleet. A sidecar whose share is used up routes around the provider ' +
      'until its budget refills.',
  );

export const ModelLimitsSchema = z
  .strictObject({
    requestsPerMinute: perMinute('Requests of this model'),
    tokensPerMinute: perMinute('Tokens (input and output) of this model'),
  })
  .describe(
    'The provider’s limits for this model, for the whole fleet (providers often limit each model on its own), ' +
      'on top of the provider’s own limits. A sidecar whose share is used up routes this model elsewhere.',
  );

export const ModelMappingSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(256)
      .describe('Logical model name that applications put in the request’s "model" field.'),
    model: z.string().min(1).max(256).describe('The provider’s own model (or deployment) name.'),
    pricing: PricingSchema.optional(),
    maxOutputTokens: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Output-token limit sent when the request sets none (required by some dialects).'),
    contextWindow: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .optional()
      .describe(
        'Tokens the model’s context window holds, prompt and output together. The sidecar does not send a ' +
          'request whose estimated prompt plus max_tokens (max_completion_tokens) cannot fit; another target, or ' +
          'a fallback model (spec.models[].fallbacks), serves it. The estimate is deliberately low (see the ' +
          'README), so a request that fits is never held back; a provider’s own context-length error moves the ' +
          'request on too. Unset: any length is sent.',
      ),
    limits: ModelLimitsSchema.optional(),
  })
  .describe('One logical model served by this provider.');

export const LogicalModelSchema = z
  .strictObject({
    name: z.string().min(1).max(256).describe('A logical model name served by the pool’s providers.'),
    fallbacks: z
      .array(z.string().min(1).max(256).describe('Another logical model of the pool.'))
      .max(16)
      .default([])
      .describe(
        'Logical models that serve this model’s requests when they are too long for every target of it ' +
          '(their context windows, or the providers’ context-length errors), tried in order.',
      ),
  })
  .describe('Settings of one logical model across the providers that serve it.');

const TIMEOUTS = {
  connectMs: { text: 'Time allowed to open a connection to the provider.', fallback: 5_000 },
  firstByteMs: { text: 'Time allowed from sending the request to the response headers.', fallback: 60_000 },
  idleStreamMs: { text: 'Longest silence allowed between two chunks of a response body.', fallback: 30_000 },
  totalMs: { text: 'Longest a whole attempt may take, streaming included.', fallback: 600_000 },
} as const;

const timeoutField = (name: keyof typeof TIMEOUTS) =>
  milliseconds(TIMEOUTS[name].text, TIMEOUTS[name].fallback);
/** Without defaults: a provider's override sets only what it names, the rest comes from the pool. */
const timeoutOverride = (name: keyof typeof TIMEOUTS) =>
  z
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .optional()
    .describe(`${TIMEOUTS[name].text} In milliseconds. Unset: the pool's value.`);

/** Optional, with no default in the pool either: unset means no deadline. `unset` says what unset means where. */
const firstTokenMs = (unset: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .optional()
    .describe(
      'Time allowed from sending a streaming request to the first token of the answer (content, a tool call or a ' +
        'finish reason; a role-only opener does not count). A stream without one by then is abandoned and, as ' +
        'nothing reached the app yet, retried on another provider; it counts as a timeout of the provider. ' +
        `In milliseconds. Unset: ${unset}.`,
    );

export const TimeoutsSchema = z
  .strictObject({
    connectMs: timeoutField('connectMs'),
    firstByteMs: timeoutField('firstByteMs'),
    idleStreamMs: timeoutField('idleStreamMs'),
    totalMs: timeoutField('totalMs'),
    firstTokenMs: firstTokenMs('no deadline'),
  })
  .describe('Timeouts of one upstream attempt.');

export const TimeoutOverridesSchema = z
  .strictObject({
    connectMs: timeoutOverride('connectMs'),
    firstByteMs: timeoutOverride('firstByteMs'),
    idleStreamMs: timeoutOverride('idleStreamMs'),
    totalMs: timeoutOverride('totalMs'),
    firstTokenMs: firstTokenMs("the pool's value"),
  })
  .describe('Overrides of the pool’s timeouts for this provider.');

export const ProviderSchema = z
  .strictObject({
    name: dnsLabel.describe('Name of the provider, unique in the pool; shown in metrics and headers.'),
    type: z.enum(PROVIDER_TYPES).describe('Wire dialect the provider speaks.'),
    baseURL: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
      .describe('Base URL as the provider’s own SDK takes it (e.g. https://api.openai.com/v1).')
      .meta(
        kubernetes({
          maxLength: 2048,
          validations: [
            {
              rule: "isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''",
              message:
                'baseURL must be an http:// or https:// URL with a host, e.g. https://api.openai.com/v1',
            },
          ],
        }),
      ),
    apiKey: ApiKeySourceSchema.optional(),
    apiVersion: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9.-]+$/, 'must be an API version such as 2024-10-21')
      .optional()
      .describe(
        'API version for dialects that put one in each request (azure-openai: the api-version parameter).',
      ),
    weight: z
      .number()
      .min(0)
      .max(1_000_000)
      .default(1)
      .describe('Relative share of traffic; fractions allowed; 0 drains the provider.'),
    priority: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(0)
      .describe(
        'Priority tier: lower is preferred. Traffic goes to the best tier with an available provider (the ' +
          'strategy picks within it); a worse tier serves only while the better ones have none available, or ' +
          'for a retry once the better tiers failed the request (retries stay in the tier first).',
      ),
    models: z
      .array(ModelMappingSchema)
      .min(1)
      .describe('Logical models this provider serves; each logical name at most once.')
      .meta(kubernetes({ listMapKeys: ['name'], maxItems: 64 })),
    timeouts: TimeoutOverridesSchema.optional(),
    maxInFlight: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Most requests this sidecar sends to the provider at once; beyond it the provider is skipped.',
      ),
    limits: ProviderLimitsSchema.optional(),
    continuation: z
      .enum(['auto', ...CONTINUATION_MODES])
      .default('auto')
      .describe(
        "How this provider can continue an answer another provider's stream left cut or stalled after text " +
          'reached the app: prefill (the request ends with the partial assistant turn; Anthropic), ' +
          'continue-final-message (vLLM and servers with its continue_final_message option), none. auto: the ' +
          "dialect's default (anthropic: prefill; others: none, as OpenAI does not continue an assistant turn).",
      ),
  })
  .describe('One upstream provider.');

/** What cluster-wide adaptive reweighting optimizes for (see the README's "Adaptive reweighting"). */
export const ADAPTIVE_OBJECTIVES = ['latency', 'cost', 'balanced'] as const;

export const AdaptiveSchema = z
  .strictObject({
    objective: z
      .enum(ADAPTIVE_OBJECTIVES)
      .default('latency')
      .describe('What the operator ranks providers by: latency, cost (price per token), or balanced (both).'),
    temperature: z
      .number()
      .min(0.05)
      .max(10)
      .default(0.1)
      .describe(
        'Greediness of the weights: lower sends more traffic to the best provider. At 0.1 a provider 20 % ' +
          'slower gets a sixth of the share of an equal-weight peer ((1/1.2)^10); at 0.5 one twice as slow ' +
          'gets a quarter. The floor keeps every healthy provider measured.',
      ),
    maxStepPerRound: z
      .number()
      .min(0.01)
      .max(1)
      .default(0.1)
      .describe('Largest change of one provider’s share of the traffic (0 to 1) in one reweighting round.'),
    floor: z
      .number()
      .min(0)
      .max(0.2)
      .default(0.01)
      .describe('Smallest share (0 to 1) a healthy provider keeps, so it goes on being measured.'),
    slowStartSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(30)
      .describe('How long a provider that comes back from being down takes to ramp up to its full share.'),
  })
  .prefault({})
  .describe(
    'Cluster-wide reweighting of the adaptive strategy, computed by the operator from every sidecar.',
  );

export const StrategySchema = z
  .strictObject({
    type: z
      .enum(STRATEGY_NAMES)
      .default('weighted-round-robin')
      .describe('How a provider is picked for each request.'),
    allowOverride: z
      .array(z.enum(STRATEGY_NAMES).describe('A strategy name.'))
      .optional()
      .describe(
        'Strategies a request may ask for with the x-switchboard-strategy header. Unset: any; empty: none.',
      ),
    adaptive: AdaptiveSchema,
  })
  .prefault({})
  .describe('Routing strategy of the pool.');

export const RetrySchema = z
  .strictObject({
    attempts: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe('Extra attempts after the first, on other providers first.'),
    budgetRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Retries may be at most this share of recent requests, so retries never multiply an outage.'),
    minRetriesPerSecond: z
      .number()
      .min(0)
      .default(5)
      .describe('Retries always allowed per second regardless of the ratio (for low traffic).'),
  })
  .prefault({})
  .describe('Retry and failover policy.');

export const BreakerSchema = z
  .strictObject({
    consecutiveFailures: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe('Failures in a row that open the breaker.'),
    failureRateThreshold: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe('Failure ratio over the window that opens the breaker.'),
    minRequests: z
      .number()
      .int()
      .min(1)
      .default(20)
      .describe('Requests needed in the window before the failure ratio counts.'),
    windowMs: milliseconds('Window over which the failure ratio is measured.', 30_000),
    baseBackoffMs: milliseconds('How long the breaker stays open the first time.', 5_000),
    maxBackoffMs: milliseconds('Cap of the open time, which doubles on each failed probe.', 300_000),
    successesToClose: z
      .number()
      .int()
      .min(1)
      .default(2)
      .describe('Successful probes in half-open state that close the breaker.'),
    activeProbeIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .optional()
      .describe(
        'While a provider’s breaker is open, probe it this often with a free request of its dialect (listing or ' +
          'reading models; no tokens spent), independent of traffic; the first success turns the breaker ' +
          'half-open at once, so real requests test the provider within seconds of its recovery. In milliseconds. ' +
          'Unset: no active probes (the breaker waits out its backoff).',
      ),
    slowStartMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(0)
      .describe(
        'After a provider’s breaker closes again, ramp its share of traffic up linearly over this window ' +
          '(from 10 % of its weight), so a recovered provider is not flooded at once. In milliseconds; 0: no ramp.',
      ),
  })
  .prefault({})
  .describe('Per-provider circuit breaker.')
  .meta(
    kubernetes({
      validations: [
        {
          rule: 'self.maxBackoffMs >= self.baseBackoffMs',
          message: 'breaker.maxBackoffMs must be ≥ breaker.baseBackoffMs',
          fieldPath: '.maxBackoffMs',
        },
      ],
    }),
  );

export const RateLimitSchema = z
  .strictObject({
    defaultCooldownMs: milliseconds('Cool-down after a 429 that carries no Retry-After header.', 5_000),
    quotaExhaustedCooldownMs: milliseconds(
      'Cool-down after a provider says the account’s quota or credit is used up (not a transient limit).',
      300_000,
    ),
  })
  .prefault({})
  .describe('Reaction to rate limiting by a provider.');

export const LimitsSchema = z
  .strictObject({
    maxRequestBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(512 * 1024 * 1024)
      .default(10 * 1024 * 1024)
      .describe('Largest request body the sidecar accepts (413 beyond).'),
    maxJsonDepth: z
      .number()
      .int()
      .min(8)
      .max(512)
      .default(64)
      .describe(
        'Deepest nesting of JSON objects and arrays a request body may have (a top-level object is 1; 400 beyond). ' +
          'Real requests, JSON-schema tools included, rarely pass 20.',
      ),
  })
  .prefault({})
  .describe('Limits on what applications may send.');

export const ProviderPoolSpecSchema = z
  .strictObject({
    strategy: StrategySchema,
    providers: z
      .array(ProviderSchema)
      .min(1)
      .max(64)
      .describe('Upstream providers of the pool; each name at most once.')
      .meta(
        kubernetes({
          listMapKeys: ['name'],
          validations: [
            {
              rule: 'self.exists(p, p.weight > 0.0)',
              message: 'spec.providers[].weight: all weights are 0, at least one provider must take traffic',
            },
            {
              // Every logical model stays reachable: a model served only by drained providers (weight 0) would
              // fail every request for it. `[x].all(served, ...)` binds the logical names of the providers that
              // take traffic once (CEL has no let); `in` on those lists keeps the API server's cost estimate
              // within budget where nested exists() over providers and models does not. Skipped when all
              // weights are 0: the rule above reports that.
              rule:
                '!self.exists(q, q.weight > 0.0) || ' +
                '[self.map(q, q.weight > 0.0, q.models.map(n, n.name))].all(served, ' +
                'self.all(p, p.weight > 0.0 || p.models.all(m, served.exists(names, m.name in names))))',
              message:
                'spec.providers[].models[].name: every logical model needs a provider with weight > 0 serving it',
            },
          ],
        }),
      ),
    models: z
      .array(LogicalModelSchema)
      .max(256)
      .optional()
      .describe('Settings per logical model (fallbacks); a logical model not listed has none.')
      .meta(kubernetes({ listMapKeys: ['name'] })),
    retry: RetrySchema,
    breaker: BreakerSchema,
    rateLimit: RateLimitSchema,
    timeouts: TimeoutsSchema.prefault({}),
    limits: LimitsSchema,
  })
  .superRefine((spec, ctx) => {
    const seen = new Map<string, number>();
    spec.providers.forEach((p, i) => {
      const first = seen.get(p.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['providers', i, 'name'],
          message: `duplicate provider name "${p.name}" (also providers[${first}])`,
        });
      } else seen.set(p.name, i);
      const models = new Set<string>();
      p.models.forEach((m, j) => {
        if (models.has(m.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['providers', i, 'models', j, 'name'],
            message: `logical model "${m.name}" listed twice for this provider`,
          });
        }
        models.add(m.name);
      });
    });
    const served = new Set(spec.providers.flatMap((p) => p.models.map((m) => m.name)));
    const listed = new Set<string>();
    spec.models?.forEach((m, i) => {
      if (listed.has(m.name))
        ctx.addIssue({
          code: 'custom',
          path: ['models', i, 'name'],
          message: `model "${m.name}" listed twice`,
        });
      listed.add(m.name);
      if (!served.has(m.name))
        ctx.addIssue({
          code: 'custom',
          path: ['models', i, 'name'],
          message: `no provider serves logical model "${m.name}"`,
        });
      m.fallbacks.forEach((f, j) => {
        if (f === m.name || !served.has(f))
          ctx.addIssue({
            code: 'custom',
            path: ['models', i, 'fallbacks', j],
            message:
              f === m.name ? 'a model cannot be its own fallback' : `no provider serves logical model "${f}"`,
          });
      });
    });
    if (spec.providers.every((p) => p.weight === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['providers'],
        message: 'all provider weights are 0: at least one provider must take traffic',
      });
    }
    if (spec.breaker.maxBackoffMs < spec.breaker.baseBackoffMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['breaker', 'maxBackoffMs'],
        message: 'must be ≥ breaker.baseBackoffMs',
      });
    }
  })
  .describe('Desired state of the pool: providers, routing strategy and resilience settings.');

export const ObjectMetaSchema = z
  .looseObject({
    name: z.string().min(1).max(253),
    namespace: z.string().min(1).max(63).optional(),
  })
  .describe('Standard object metadata.');

export const ProviderPoolSchema = z.looseObject({
  apiVersion: z.literal(`${API_GROUP}/${API_VERSION}`),
  kind: z.literal(KIND),
  metadata: ObjectMetaSchema,
  spec: ProviderPoolSpecSchema,
});

export type ProviderPool = z.infer<typeof ProviderPoolSchema>;
export type ProviderPoolSpec = z.infer<typeof ProviderPoolSpecSchema>;
export type ProviderSpec = z.infer<typeof ProviderSchema>;
export type ModelMapping = z.infer<typeof ModelMappingSchema>;
export type LogicalModel = z.infer<typeof LogicalModelSchema>;
export type Timeouts = z.infer<typeof TimeoutsSchema>;
export type BreakerSpec = z.infer<typeof BreakerSchema>;
export type RetrySpec = z.infer<typeof RetrySchema>;
export type ApiKeySource = z.infer<typeof ApiKeySourceSchema>;
export type Limits = z.infer<typeof LimitsSchema>;
export type ProviderLimits = z.infer<typeof ProviderLimitsSchema>;
export type ModelLimits = z.infer<typeof ModelLimitsSchema>;
