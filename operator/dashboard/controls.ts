/**
 * What the dashboard's controls may do, and the zod schemas of their request bodies. The operator knows nothing
 * of mock providers: fault injection is a capability whoever mounts the dashboard may pass (the demo does).
 */
import { z } from 'zod';
import { STRATEGY_NAMES, type StrategyName } from '../../api/v1alpha1/providerpool.ts';

export interface PoolKeyRef {
  readonly namespace: string;
  readonly name: string;
}

/** Changes to a pool's spec (local mode: its YAML file, which stays the source of truth). */
export interface PoolControls {
  setStrategy(pool: PoolKeyRef, strategy: StrategyName): Promise<void>;
  /** Sets the spec weight of each named provider; others keep theirs. */
  setWeights(pool: PoolKeyRef, weights: Readonly<Record<string, number>>): Promise<void>;
}

export const FAULTS = ['outage', 'slow', 'errors', 'rate-limit', 'clear'] as const;
export type Fault = (typeof FAULTS)[number];

/** Injects faults into named stand-ins for providers (the demo's mocks). */
export interface FaultInjector {
  targets(): readonly string[];
  /** Throws ControlError(404) for an unknown target. */
  inject(target: string, fault: Fault): void;
}

/** A refused control request: the status to answer and a message for the page. */
export class ControlError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ControlError';
    this.status = status;
  }
}

export const StrategyBodySchema = z.strictObject({ type: z.enum(STRATEGY_NAMES) });

export const WeightsBodySchema = z.strictObject({
  weights: z
    .record(z.string().min(1).max(63), z.number().min(0).max(1_000_000))
    .refine((w) => Object.keys(w).length > 0, 'name at least one provider'),
});

export const FaultBodySchema = z.strictObject({ fault: z.enum(FAULTS) });
