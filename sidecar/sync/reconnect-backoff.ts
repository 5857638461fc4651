/**
 * Reconnect delays with "full jitter" (AWS architecture blog): a random wait in [0, min(cap, base·2^n)], so a
 * fleet that lost the operator at the same moment does not come back at the same moment (no thundering herd).
 */
import type { Rng } from '../../core/clock.ts';

export interface BackoffSettings {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RECONNECT_BACKOFF: BackoffSettings = { baseMs: 500, maxMs: 30_000 };

export function reconnectDelayMs(failures: number, settings: BackoffSettings, rng: Rng): number {
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.min(failures, 30));
  return Math.floor(rng() * ceiling);
}
