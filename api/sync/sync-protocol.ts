/**
 * The sync channel between the operator and its sidecars: the messages, as zod schemas (the one source of truth
 * for their types and for validating what arrives). Sidecars dial the operator, as Envoy dials istiod:
 *
 *   GET  /sync/v1/pools/{namespace}/{name}/stream?sidecar={id}   server-sent events, operator → sidecar:
 *        `event: snapshot`  a full Snapshot (always the first event, and after any change, debounced)
 *   POST /sync/v1/pools/{namespace}/{name}/acks                   an Ack: the sidecar applied a version, or not
 *   POST /sync/v1/pools/{namespace}/{name}/reports                a Report every few seconds, and at once when
 *                                                                 the sidecar starts a cool-down
 *
 * In a cluster every call carries `Authorization: Bearer <token>`: the pod's projected ServiceAccount token for the
 * audience SYNC_TOKEN_AUDIENCE; a pod may read and report only for pools of its own namespace.
 *
 * Snapshots are full, never deltas, so a sidecar that reconnects or missed one is whole again with the next.
 * `configVersion` names the spec (a content hash): sidecars ACK or NACK it once. `revision` grows with every push
 * (new weights, cool-downs or quota shares under the same spec), so a sidecar can drop an out-of-order snapshot.
 *
 * Readers ignore message fields they do not know (z.object drops them): a field added later reaches only the peers
 * that read it, so operator and sidecars of neighbouring versions keep talking during a rolling upgrade in either
 * order. The pool's spec inside a snapshot is the exception: a sidecar that cannot honour a spec field NACKs it.
 */
import * as z from 'zod';
import { HistogramCountsSchema } from './histogram.ts';
import { ProviderPoolSpecSchema } from '../v1alpha1/providerpool.ts';

export const SYNC_PROTOCOL = 'switchboard.dev/sync/v1';

/** The audience of the ServiceAccount tokens sidecars present (a projected token volume asks for it). */
export const SYNC_TOKEN_AUDIENCE = 'switchboard';

const name = z.string().min(1).max(253);
const count = z.number().int().min(0);
const epochMs = z.number().int().min(0).describe('Milliseconds since the Unix epoch.');

export const SidecarIdSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9][-A-Za-z0-9_.]*$/, 'letters, digits, ".", "_" and "-"')
  .describe('A sidecar: in a pod, the pod name; standalone, any stable name.');

export const COOLDOWN_REASONS = ['RateLimited', 'BreakerOpen'] as const;

/** A provider (or one model of it) to leave alone until a time, because a sidecar saw a 429 or opened a breaker. */
export const CooldownSchema = z.object({
  provider: name,
  model: name
    .optional()
    .describe(
      'The logical model (as TargetReport.model) when the fault is scoped to that model of the provider (a 429 ' +
        'rate limit): sidecars cool that (provider, model) only. Unset: the whole provider (an exhausted quota).',
    ),
  until: epochMs,
  reason: z.enum(COOLDOWN_REASONS),
});

/**
 * A (provider, model) answering several times slower than its own usual, as one sidecar measured it (in a report)
 * or as the fleet agreed on it (in a snapshot), so the other sidecars lean away before their own requests wait on
 * it. Absent from older peers, which simply do not share or apply it.
 */
export const SlowdownSchema = z.object({
  provider: name,
  model: name.describe('The logical model (as TargetReport.model).'),
  factor: z
    .number()
    .min(1)
    .max(1000)
    .describe('Current latency over the usual one (TargetStats.slowdown): 4 for five times slower.'),
  until: epochMs.describe('The signal lapses then unless renewed: the sender renews it while it lasts.'),
  probeEveryMs: z
    .number()
    .int()
    .min(1)
    .max(86_400_000)
    .optional()
    .describe(
      'Snapshots only: each sidecar sends one request to the target about this often (at random) while the slowdown lasts, so the fleet sees it recover (operator/slowdown/slowdown-probes.ts). Absent: no probes (older operators).',
    ),
});

/**
 * A (provider, model) held slow by the fleet that answered at its usual speed again: in a report, what the sidecar
 * whose probe came back fast saw (`at`: when the answer came); in a snapshot, the fleet's word for every sidecar to
 * forget the slowdown it remembers (sidecar/sync/slowdown-signal.ts). Absent from older peers, which wait for the
 * slowdown to fade instead.
 */
export const RecoverySchema = z.object({
  provider: name,
  model: name.describe('The logical model (as TargetReport.model).'),
  at: epochMs.describe('When the answer that showed the recovery came.'),
});

/** This sidecar's share of a provider's limits, per minute (absent: no limit of that kind). */
export const QuotaShareSchema = z.object({
  provider: name,
  model: name.optional(),
  requestsPerMinute: z.number().min(0).optional(),
  tokensPerMinute: z.number().min(0).optional(),
});

export const SnapshotSchema = z.object({
  protocol: z.literal(SYNC_PROTOCOL),
  namespace: name,
  pool: name,
  configVersion: z.string().min(1).max(64),
  revision: count,
  issuedAt: epochMs,
  spec: ProviderPoolSpecSchema,
  /** Cluster-wide effective weight per provider; sidecars use it in place of the spec's weight. */
  weights: z.record(name, z.number().min(0)),
  cooldowns: z.array(CooldownSchema),
  quotas: z.array(QuotaShareSchema),
  /** Slowdowns more than one sidecar sees now (operator/slowdown/fleet-slowdowns.ts); absent from older operators. */
  slowdowns: z.array(SlowdownSchema).max(4096).optional(),
  /** Slowdowns the fleet's probes saw end, for a while after (slowdown-probes.ts); absent from older operators. */
  recoveries: z.array(RecoverySchema).max(4096).optional(),
});

export const AckSchema = z.object({
  sidecar: SidecarIdSchema,
  configVersion: z.string().min(1).max(64),
  result: z.enum(['ACK', 'NACK']),
  /** Why a NACK: what the sidecar could not apply (never a secret). */
  reason: z.string().max(1024).optional(),
});

export const BREAKER_PHASES = ['closed', 'open', 'half-open'] as const;

/** What one sidecar saw of one provider and model over one report window. */
export const TargetReportSchema = z.object({
  provider: name,
  model: name.describe('The logical model.'),
  /** Attempts that got an answer or a provider-side failure. */
  attempts: count,
  successes: count,
  /** Provider-side failures: 5xx, transport errors, timeouts, cut streams. */
  failures: count,
  rateLimited: count,
  /**
   * Time the failed attempts took, summed (ms), so the operator prices a failure by what it cost the client: a 500
   * in a tenth of a second costs little, a 30 s timeout a lot. Absent from older sidecars.
   */
  failureMs: count.optional(),
  /** Histogram of whole-response latency of successful attempts (core/latency-histogram.ts buckets). */
  latency: HistogramCountsSchema,
  timeToFirstToken: HistogramCountsSchema,
  inputTokens: count,
  outputTokens: count,
  costUSD: z.number().min(0),
  inFlight: count,
  breaker: z.enum(BREAKER_PHASES),
  /** Requests and tokens the sidecar wanted to send, including those its quota share refused. */
  demandRequests: count,
  demandTokens: count,
});

export const ReportSchema = z.object({
  sidecar: SidecarIdSchema,
  /** The configuration the sidecar runs; absent before it applied any. */
  configVersion: z.string().min(1).max(64).optional(),
  windowStart: epochMs,
  windowEnd: epochMs,
  targets: z.array(TargetReportSchema).max(4096),
  /** Cool-downs the sidecar started since its last report, for the operator to spread to the pool. */
  cooldowns: z.array(CooldownSchema).max(1024),
  /**
   * Targets this sidecar sees well slower than their usual now (sidecar/sync/slowdown-signal.ts): sent with every
   * report while it lasts, and at once when one crosses the line. Absent from older sidecars.
   */
  slowdowns: z.array(SlowdownSchema).max(4096).optional(),
  /**
   * Targets the fleet held slow that this sidecar saw answer at their usual speed again since its last report,
   * sent at once (sidecar/sync/slowdown-signal.ts). Absent from older sidecars.
   */
  recoveries: z.array(RecoverySchema).max(4096).optional(),
});

export type Snapshot = z.infer<typeof SnapshotSchema>;
export type Ack = z.infer<typeof AckSchema>;
export type Report = z.infer<typeof ReportSchema>;
export type TargetReport = z.infer<typeof TargetReportSchema>;
export type QuotaShare = z.infer<typeof QuotaShareSchema>;
export type Cooldown = z.infer<typeof CooldownSchema>;

/** A (provider, model) as one map key; a cool-down of a whole provider has no model (''). */
export const targetKey = (provider: string, model = ''): string => `${provider}\u0000${model}`;
export type Slowdown = z.infer<typeof SlowdownSchema>;
export type Recovery = z.infer<typeof RecoverySchema>;

/**
 * Relaying (several operator replicas): any replica serves sidecars; a follower relays for its sidecars to the
 * leader, which alone computes weights, cool-downs and quota shares.
 *
 *   GET  /sync/v1/pools/{namespace}/{name}/relay?replica={id}   server-sent events, leader → follower:
 *        `event: snapshot`  a RelaySnapshot: the pool's snapshot with the quota shares of every sidecar the
 *                           follower serves (by sidecar id)
 *   POST /sync/v1/pools/{namespace}/{name}/members             RelayMembers: which sidecars the follower serves
 *                                                             now (they count as connected while its relay is open)
 *
 * Sidecars' ACKs and reports are forwarded verbatim to the leader's `acks` and `reports`. Relay calls carry the
 * operator's own ServiceAccount token (audience SYNC_TOKEN_AUDIENCE); the leader accepts them for every pool.
 */
export const RelaySnapshotSchema = SnapshotSchema.omit({ quotas: true }).extend({
  quotas: z.record(SidecarIdSchema, z.array(QuotaShareSchema)),
});

export const RelayMembersSchema = z.object({
  replica: SidecarIdSchema,
  sidecars: z.array(SidecarIdSchema).max(100_000),
});

export type RelaySnapshot = z.infer<typeof RelaySnapshotSchema>;
export type RelayMembers = z.infer<typeof RelayMembersSchema>;
