/**
 * How much latency and price count in a provider's score for each adaptive objective (the operator's reweighting,
 * operator/reweight/provider-score.ts), shared with the sidecar so its local corrections speak the same units.
 */
import type { ADAPTIVE_OBJECTIVES } from '../api/v1alpha1/providerpool.ts';

export type Objective = (typeof ADAPTIVE_OBJECTIVES)[number];

export const OBJECTIVE_MIX: Record<Objective, { readonly latency: number; readonly cost: number }> = {
  latency: { latency: 1, cost: 0 },
  cost: { latency: 0.2, cost: 1 },
  balanced: { latency: 0.5, cost: 0.5 },
};
