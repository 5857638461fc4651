/**
 * The pool's conditions as an ordered list of pure policies, cert-manager style: each reads the reconcile facts
 * and returns its verdict (status, reason, message); `pool-status.ts` turns verdicts into metav1.Conditions.
 */
import {
  CONDITION_TYPES,
  type ConditionType,
  type ProviderStatus,
} from '../../api/v1alpha1/providerpool-status.ts';
import type { SidecarConfig } from './desired-config.ts';
import type { SecretProblem } from './secret-references.ts';

export const REASONS = {
  InvalidSpec: 'InvalidSpec',
  SecretMissing: 'SecretMissing',
  RolloutInProgress: 'RolloutInProgress',
  ConfigRejected: 'ConfigRejected',
  ConfigPublished: 'ConfigPublished',
  NoReports: 'NoReports',
  ProvidersUnhealthy: 'ProvidersUnhealthy',
  AllProvidersHealthy: 'AllProvidersHealthy',
  ProvidersRateLimited: 'ProvidersRateLimited',
  NotRateLimited: 'NotRateLimited',
} as const;

export interface SidecarCounts {
  readonly connected: number;
  readonly reporting: number;
  readonly onCurrentVersion: number;
}

/** Everything a reconcile learned, before deciding anything. */
export interface ReconcileFacts {
  readonly generation: number;
  /** Problems that make the spec unusable beyond what the API server checks; empty when valid. */
  readonly specProblems: readonly string[];
  readonly secretProblems: readonly SecretProblem[];
  /** The configuration published to sidecars; undefined when the spec could not produce one. */
  readonly config: SidecarConfig | undefined;
  readonly sidecars: SidecarCounts;
  /** Sidecars that refused (NACKed) the current configuration, with their reasons. */
  readonly nacks: readonly { readonly sidecar: string; readonly reason: string }[];
  readonly providers: readonly ProviderStatus[];
}

export interface ConditionVerdict {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

function names(providers: readonly ProviderStatus[]): string {
  return providers.map((p) => `${p.name} (${p.state})`).join(', ');
}

export function readyCondition(f: ReconcileFacts): ConditionVerdict {
  const type = CONDITION_TYPES.Ready;
  if (f.specProblems.length > 0) {
    return { type, status: 'False', reason: REASONS.InvalidSpec, message: f.specProblems.join('; ') };
  }
  if (f.secretProblems.length > 0) {
    const message = f.secretProblems.map((p) => `${p.field}: ${p.message}`).join('; ');
    return { type, status: 'False', reason: REASONS.SecretMissing, message };
  }
  const version = f.config?.version ?? '?';
  if (f.nacks.length > 0) {
    const [first] = f.nacks;
    const others = f.nacks.length > 1 ? ` (and ${f.nacks.length - 1} more sidecars)` : '';
    return {
      type,
      status: 'False',
      reason: REASONS.ConfigRejected,
      message: `sidecar ${first?.sidecar} refused configuration ${version}${others}: ${first?.reason}`,
    };
  }
  const { connected, onCurrentVersion } = f.sidecars;
  if (connected > onCurrentVersion) {
    return {
      type,
      status: 'False',
      reason: REASONS.RolloutInProgress,
      message: `${onCurrentVersion} of ${connected} connected sidecars run configuration ${version}`,
    };
  }
  return {
    type,
    status: 'True',
    reason: REASONS.ConfigPublished,
    message:
      connected === 0
        ? `configuration ${version} published; no sidecar connected yet`
        : `all ${connected} connected sidecars run configuration ${version}`,
  };
}

export function degradedCondition(f: ReconcileFacts): ConditionVerdict {
  const type = CONDITION_TYPES.Degraded;
  const serving = f.providers.filter((p) => p.state !== 'Draining');
  if (serving.length > 0 && serving.every((p) => p.state === 'Unknown')) {
    return { type, status: 'Unknown', reason: REASONS.NoReports, message: 'no sidecar has reported yet' };
  }
  const unwell = serving.filter((p) => p.state === 'Degraded' || p.state === 'Unhealthy');
  return unwell.length > 0
    ? { type, status: 'True', reason: REASONS.ProvidersUnhealthy, message: names(unwell) }
    : {
        type,
        status: 'False',
        reason: REASONS.AllProvidersHealthy,
        message: 'every serving provider is healthy',
      };
}

export function rateLimitedCondition(f: ReconcileFacts): ConditionVerdict {
  const type = CONDITION_TYPES.RateLimited;
  const limited = f.providers.filter((p) => p.state === 'RateLimited');
  if (limited.length > 0) {
    return { type, status: 'True', reason: REASONS.ProvidersRateLimited, message: names(limited) };
  }
  if (f.providers.every((p) => p.state === 'Unknown' || p.state === 'Draining')) {
    return { type, status: 'Unknown', reason: REASONS.NoReports, message: 'no sidecar has reported yet' };
  }
  return { type, status: 'False', reason: REASONS.NotRateLimited, message: 'no provider is rate limited' };
}

/** In the order they are shown. */
export const CONDITION_POLICIES: readonly ((facts: ReconcileFacts) => ConditionVerdict)[] = [
  readyCondition,
  degradedCondition,
  rateLimitedCondition,
];
