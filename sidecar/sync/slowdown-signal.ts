/**
 * What this sidecar tells the fleet about targets turning slow: each target whose own slowdown
 * (TargetStats.slowdown: recent latency, or the age of its requests in flight, over its usual) is at least
 * `reportAt`, good for `ttlMs`. Sent with every report while it lasts (renewing it) and at once when a target
 * crosses the line (`SlowdownWatch`), so the operator can spread it within a second (operator/slowdown/
 * fleet-slowdowns.ts). Only the sidecar's own evidence goes out, never the fleet's signal it was given: the signal
 * lasts exactly as long as the sidecars that measure the slowdown keep seeing it. While the fleet holds a target slow,
 * the sidecars probe it now and then (sidecar/routing/slowdown-probe.ts); an answer at the usual speed to a request
 * sent during the spell is a recovery (`takeRecoveries`), which the sidecar reports at once and the operator spreads
 * so that every sidecar forgets the spell (instead of waiting a minute or more for its memory to fade). No I/O.
 */
import { targetKey, type Recovery, type Slowdown } from '../../api/sync/sync-protocol.ts';
import type { PoolRuntime } from '../routing/pool-runtime.ts';

export interface SlowdownSignalSettings {
  /**
   * The slowdown worth telling the fleet: 2, over the adaptive strategy's own threshold (1.5). A provider
   * answering five times slower crosses it through the age of the requests in flight within a couple of seconds,
   * before any slow answer comes (their mean age only reaches about 2.5× the usual after four seconds, so a higher
   * line waited for the slow answers themselves: bench/routing's brown-out p99 stayed at ~1.25× the oracle's at
   * 2.5, 1.18× at 2). One tail answer can push a single sidecar over it; the operator's quorum keeps that local.
   */
  readonly reportAt: number;
  /**
   * Answers a target's usual latency must be learned from before its slowdown goes out: 50, the usual mean's own
   * memory (TargetStats' usualSampleWeight, 0.02). A usual mean of a handful of answers is noise: in
   * bench/routing's steady state (no fault at all) a tenth of the fleet saw "slowdowns" together a dozen to three
   * dozen times in a 10-minute run, mostly in its first minute or two while the usual means settled; with 50
   * answers, one to four times, each short-lived (the sidecars' next answers withdraw it).
   */
  readonly minSamples: number;
  /** How long a sighting holds unless renewed: over two report intervals (5 s), so one lost report drops nothing. */
  readonly ttlMs: number;
  /** How often the sidecar looks for a target newly over the line (a look reads each target's stats once). */
  readonly watchMs: number;
  /**
   * An answer at most this many times the usual latency, to a request sent while the fleet held the target slow,
   * shows it recovered: 1.25. Three in four answers of a provider back to its usual come that fast (log-normal,
   * σ 0.35); one still five times slower about once in a thousand, even against a usual mean the spell's own slow
   * answers raised by a third (at 1.5, bench/routing's brown-out saw a false recovery in one run of three, and
   * every false one lets the fleet try the slow provider again). A provider that settles between 1.25× and 2×
   * slower is not called recovered; its signal ends as the sightings stop.
   */
  readonly recoveredAt: number;
}

export const SLOWDOWN_SIGNAL: SlowdownSignalSettings = {
  reportAt: 2,
  minSamples: 50,
  ttlMs: 12_000,
  watchMs: 250,
  recoveredAt: 1.25,
};

/**
 * The targets this sidecar sees at least `reportAt` times slower than their usual now, by its own evidence, among
 * those whose usual it has learned from `minSamples` answers.
 */
export function slowdownsSeen(
  runtime: PoolRuntime | undefined,
  now: number,
  settings: SlowdownSignalSettings = SLOWDOWN_SIGNAL,
): Slowdown[] {
  const seen: Slowdown[] = [];
  for (const [model, targets] of runtime?.models ?? []) {
    for (const t of targets) {
      if (t.stats.usualSamples < settings.minSamples) continue;
      const factor = t.stats.slowdown(now);
      if (!(factor >= settings.reportAt)) continue;
      seen.push({
        provider: t.provider.name,
        model,
        // Two decimals are plenty for a factor the operator compares by fifths; capped as the protocol caps it.
        factor: Math.min(1000, Math.round(factor * 100) / 100),
        until: Math.ceil(now + settings.ttlMs),
      });
    }
  }
  return seen;
}

/**
 * Remembers which targets were over the line at the last look, so a target newly crossing it is reported at once
 * (a target that stays over it is renewed by the regular reports).
 */
export class SlowdownWatch {
  #over = new Set<string>();

  /** Whether `seen` holds a target that was not over the line at the last look. */
  crossed(seen: readonly Slowdown[]): boolean {
    const over = new Set(seen.map((s) => targetKey(s.provider, s.model)));
    const fresh = [...over].some((k) => !this.#over.has(k));
    this.#over = over;
    return fresh;
  }
}

/**
 * The targets the fleet holds slow that answered at their usual speed again, by this sidecar's own evidence: the
 * latest answer came to a request sent while the slowdown was held (a probe, usually) within `recoveredAt` times the
 * usual latency as it was when the spell began. Each is forgotten here at once (its remembered spell, its probe
 * schedule, the fleet's signal as this sidecar holds it) and returned for the next report, which goes out at once.
 */
export function takeRecoveries(
  runtime: PoolRuntime | undefined,
  now: number,
  settings: SlowdownSignalSettings = SLOWDOWN_SIGNAL,
): Recovery[] {
  const recovered: Recovery[] = [];
  for (const [model, targets] of runtime?.models ?? []) {
    for (const t of targets) {
      const since = t.health.slowdownProbe.heldSince;
      const answer = t.stats.latestAnswer;
      // Against the usual as it was before the spell: one learned since may have taken in the slow answers.
      const usual = t.health.slowdownProbe.usualBeforeMs ?? t.stats.usualLatencyMs;
      if (since === undefined || answer === undefined || usual === undefined) continue;
      if (answer.startedAt < since || answer.latencyMs > settings.recoveredAt * usual) continue;
      const at = Math.ceil(answer.startedAt + answer.latencyMs);
      t.stats.forgetSlowdown(now);
      t.health.slowdownProbe.reset();
      t.health.fleetSlowdown = undefined;
      t.health.recoveredAt = at;
      recovered.push({ provider: t.provider.name, model, at });
    }
  }
  return recovered;
}
