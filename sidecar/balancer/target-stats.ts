import type { Candidate } from './types.ts';

export interface TargetStatsOptions {
  /** Time constant of the latency EWMA: a sample taken this long after the previous one carries 63 % weight. */
  readonly latencyDecayMs?: number;
  /**
   * Time constant over which the latency estimate of an idle target (nothing in flight) fades toward 0, so a
   * target avoided after a slow spell is tried again. Longer than the EWMA's because model calls take seconds.
   */
  readonly idleFadeMs?: number;
  /** Time constant of the failure ratio. */
  readonly errorDecayMs?: number;
  /** Imagined successes in the failure ratio's denominator: a lone failure reads 1/(1+prior), not 100 %. */
  readonly successPrior?: number;
  /**
   * Weight of each new sample in the recent mean latency (per sample, so it does not depend on the rate), for a
   * sample above it; one below it pulls by `recoverySampleWeight`, so a provider that recovered is seen to in a
   * couple of answers. Half, as for recovery: a provider that turned slower is seen in a couple of answers too
   * (at a fifth, a sidecar that had watched a request hang for seconds read barely 1.7× once it answered, and
   * sent the provider traffic again). One answer in the usual tail (2× the mean) reads 1.5, the adaptive threshold.
   */
  readonly recentSampleWeight?: number;
  readonly recoverySampleWeight?: number;
  /**
   * Time constant over which the recent mean of a target that gets no samples fades back to its usual one. A
   * minute: the sidecar's memory of a slowdown it saw must outlast the fleet's reaction (a 30 s report window and
   * the operator's bounded steps), or the sidecar lets the slow provider back in while the operator still gives
   * it most of the traffic (the routing simulator's brown-out, 15 s: ~8 % of the traffic went back to it).
   */
  readonly slowdownFadeMs?: number;
  /** Weight of each new sample in the usual (long-run) mean latency: ~1/n of the last n samples. */
  readonly usualSampleWeight?: number;
}

export interface RequestOutcome {
  readonly ok: boolean;
  /**
   * The latency to learn from, e.g. time to first token for a stream. On success it defaults to the time since
   * `start`. A failure teaches latency only when given, and only upward: a fast failure must not make a broken
   * target look fast, while a slow timeout is evidence that it is slow.
   */
  readonly latencyMs?: number;
}

/** One request in flight; `end` it in `finally`. Ending twice counts once. */
export interface InFlightHandle {
  readonly ended: boolean;
  end(now: number, outcome: RequestOutcome): void;
  /** Ends the request without a verdict (the client went away, a 429 handled by cool-down): only load changes. */
  abandon(now: number): void;
}

export type TargetLoad = Pick<Candidate, 'inFlight' | 'latencyMs' | 'errorRate' | 'slowdown'>;

/** The largest recent mean kept, as a multiple of the usual one (see learnMeans). */
const MAX_SLOWDOWN = 4;

const DEFAULTS = {
  latencyDecayMs: 10_000,
  idleFadeMs: 30_000,
  errorDecayMs: 10_000,
  successPrior: 1,
  recentSampleWeight: 0.5,
  recoverySampleWeight: 0.5,
  slowdownFadeMs: 60_000,
  usualSampleWeight: 0.02,
} as const satisfies Required<TargetStatsOptions>;

/** Weight left to old data after `elapsedMs`, for a time constant `tauMs`. */
function retained(elapsedMs: number, tauMs: number): number {
  return Math.exp(-Math.max(0, elapsedMs) / tauMs);
}

function unitInterval(name: string, value: number): number {
  if (!(value > 0 && value <= 1)) throw new RangeError(`${name} must be in (0, 1], got ${value}`);
  return value;
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
  return value;
}

/**
 * Load state of one target (provider × logical model), kept across config reloads: requests in flight, a
 * peak-EWMA latency (as tower/linkerd/Finagle: a sample above the estimate replaces it at once, one below pulls
 * it down with time-based decay) and a time-decayed failure ratio. Time is always passed in.
 */
export class TargetStats {
  private readonly latencyDecayMs: number;
  private readonly idleFadeMs: number;
  private readonly errorDecayMs: number;
  private readonly successPrior: number;
  private readonly recentSampleWeight: number;
  private readonly recoverySampleWeight: number;
  private readonly slowdownFadeMs: number;
  private readonly usualSampleWeight: number;

  private pending = 0;
  /** Sum of the start times of the requests in flight, for their mean age. */
  private pendingStartSum = 0;
  private usualSampleCount = 0;
  /** Plain (not peak) means of latency samples: recent, usual, and when the last sample came. */
  private recentMean: number | undefined;
  private usualMean: number | undefined;
  private lastMeanSampleAt = 0;
  private idleSince = -Infinity;
  private latencyEstimate: number | undefined;
  private latencySampledAt = 0;
  /** Decayed sums of failures and of all outcomes since `outcomesAt`. */
  private failures = 0;
  private outcomes = 0;
  private outcomesAt = 0;
  /** The latest successful answer: when its request started and how long it took. */
  private latest: { readonly startedAt: number; readonly latencyMs: number } | undefined;

  constructor(options: TargetStatsOptions = {}) {
    this.latencyDecayMs = positive('latencyDecayMs', options.latencyDecayMs ?? DEFAULTS.latencyDecayMs);
    this.idleFadeMs = positive('idleFadeMs', options.idleFadeMs ?? DEFAULTS.idleFadeMs);
    this.errorDecayMs = positive('errorDecayMs', options.errorDecayMs ?? DEFAULTS.errorDecayMs);
    const prior = options.successPrior ?? DEFAULTS.successPrior;
    if (!(prior >= 0)) throw new RangeError(`successPrior must be >= 0, got ${prior}`);
    this.successPrior = prior;
    this.recentSampleWeight = unitInterval(
      'recentSampleWeight',
      options.recentSampleWeight ?? DEFAULTS.recentSampleWeight,
    );
    this.recoverySampleWeight = unitInterval(
      'recoverySampleWeight',
      options.recoverySampleWeight ?? DEFAULTS.recoverySampleWeight,
    );
    this.slowdownFadeMs = positive('slowdownFadeMs', options.slowdownFadeMs ?? DEFAULTS.slowdownFadeMs);
    this.usualSampleWeight = unitInterval(
      'usualSampleWeight',
      options.usualSampleWeight ?? DEFAULTS.usualSampleWeight,
    );
  }

  /** Requests started and not yet ended. */
  get inFlight(): number {
    return this.pending;
  }

  /** Answers the usual latency behind `slowdown` was learned from (how settled it is). */
  get usualSamples(): number {
    return this.usualSampleCount;
  }

  /**
   * Peak-EWMA latency in ms, undefined until measured. While nothing is in flight the estimate fades toward 0
   * (from the later of the last sample and the moment the target went idle); a target with requests in flight
   * never fades, so a provider that hangs does not come to look fast.
   */
  latencyMs(now: number): number | undefined {
    const estimate = this.latencyEstimate;
    if (estimate === undefined || this.pending > 0) return estimate;
    return estimate * retained(now - Math.max(this.latencySampledAt, this.idleSince), this.idleFadeMs);
  }

  /**
   * Time-decayed share of failed outcomes in [0, 1): decayed failures / (decayed outcomes + successPrior).
   * 0 with no data; falls back toward 0 as successes arrive or as old failures age out.
   */
  errorRate(now: number): number {
    if (this.outcomes === 0) return 0;
    const keep = retained(now - this.outcomesAt, this.errorDecayMs);
    return (this.failures * keep) / (this.outcomes * keep + this.successPrior);
  }

  /**
   * How much slower than usual the target is now: the larger of its recent mean latency and the mean age of its
   * requests in flight (so a provider that starts to hang shows before its first slow answer), over its usual
   * mean latency. 1 with no data. The recent mean fades back toward the usual one while no sample arrives
   * (`slowdownFadeMs`), so a target avoided after a slow spell is tried again. A target that turned five times
   * slower reads 4 (the recent mean is kept within 4× the usual; the age of a hanging request is not capped); one
   * that is simply slower than others, and always was, reads 1.
   */
  slowdown(now: number): number {
    const usual = this.usualMean;
    const recent = this.recentMean;
    if (usual === undefined || recent === undefined || !(usual > 0)) return 1;
    let current = this.fadedRecent(now, recent, usual);
    if (this.pending > 0) current = Math.max(current, now - this.pendingStartSum / this.pending);
    return Math.max(0, current / usual);
  }

  /** The usual (long-run) mean latency behind `slowdown`, ms; undefined before the first answer. */
  get usualLatencyMs(): number | undefined {
    return this.usualMean;
  }

  /** The latest successful answer (when its request started, how long it took); undefined before any. */
  get latestAnswer(): { readonly startedAt: number; readonly latencyMs: number } | undefined {
    return this.latest;
  }

  /**
   * Forgets a slow spell the target is known to be over (the fleet saw it answer at its usual speed again): the
   * recent mean and the peak latency go back to the usual mean, so the target is judged on its next answers at
   * once instead of after its memory fades. Requests still in flight keep counting by their age.
   */
  forgetSlowdown(now: number): void {
    const usual = this.usualMean;
    if (usual === undefined) return;
    this.recentMean = usual;
    this.lastMeanSampleAt = now;
    if (this.latencyEstimate !== undefined && this.latencyEstimate > usual) {
      this.latencyEstimate = usual;
      this.latencySampledAt = now;
    }
  }

  load(now: number): TargetLoad {
    return {
      inFlight: this.pending,
      latencyMs: this.latencyMs(now),
      errorRate: this.errorRate(now),
      slowdown: this.slowdown(now),
    };
  }

  start(now: number): InFlightHandle {
    this.pending += 1;
    this.pendingStartSum += now;
    let ended = false;
    return {
      get ended() {
        return ended;
      },
      end: (endedAt: number, outcome: RequestOutcome) => {
        if (ended) return;
        ended = true;
        this.finish(now, endedAt, outcome);
      },
      abandon: (endedAt: number) => {
        if (ended) return;
        ended = true;
        this.release(now, endedAt);
      },
    };
  }

  /** Feeds one latency sample (ms) directly, for callers that measure outside a handle. */
  recordLatency(now: number, latencyMs: number): void {
    this.learnLatency(now, latencyMs, false);
  }

  /** Feeds one outcome directly, for callers that measure outside a handle. */
  recordOutcome(now: number, ok: boolean): void {
    const keep = retained(now - this.outcomesAt, this.errorDecayMs);
    this.failures = this.failures * keep + (ok ? 0 : 1);
    this.outcomes = this.outcomes * keep + 1;
    this.outcomesAt = now;
  }

  private release(startedAt: number, endedAt: number): void {
    this.pending -= 1;
    this.pendingStartSum = this.pending === 0 ? 0 : this.pendingStartSum - startedAt;
    if (this.pending === 0) this.idleSince = endedAt;
  }

  private finish(startedAt: number, endedAt: number, outcome: RequestOutcome): void {
    this.release(startedAt, endedAt);
    if (outcome.ok) {
      const latencyMs = outcome.latencyMs ?? Math.max(0, endedAt - startedAt);
      this.learnLatency(endedAt, latencyMs, false);
      if (latencyMs >= 0 && Number.isFinite(latencyMs)) this.latest = { startedAt, latencyMs };
    } else if (outcome.latencyMs !== undefined) {
      this.learnLatency(endedAt, outcome.latencyMs, true);
    }
    this.recordOutcome(endedAt, outcome.ok);
  }

  /** The recent mean as it reads at `now`: faded toward the usual one since the last sample. */
  private fadedRecent(now: number, recent: number, usual: number): number {
    return usual + (recent - usual) * retained(now - this.lastMeanSampleAt, this.slowdownFadeMs);
  }

  /** The plain means behind `slowdown`; a failure's latency (a slow timeout) only raises them. */
  private learnMeans(now: number, sample: number, onlyUpward: boolean): void {
    if (!onlyUpward) this.usualSampleCount++;
    const recent = this.recentMean;
    const usual = this.usualMean;
    if (recent === undefined || usual === undefined) {
      if (onlyUpward) return;
      this.recentMean = sample;
      this.usualMean = sample;
    } else {
      // From the recent mean as `slowdown` reads it now (faded while no sample came), so a target tried again after
      // a slow spell is judged on its new answers rather than on the spell.
      const faded = this.fadedRecent(now, recent, usual);
      const weight = sample < faded ? this.recoverySampleWeight : this.recentSampleWeight;
      // Kept within MAX_SLOWDOWN × usual: beyond it a target is as avoided as it gets, and a cap lets the fade
      // bring it back in a bounded time however slow the spell was.
      const nextUsual =
        !onlyUpward || sample > usual ? usual + (sample - usual) * this.usualSampleWeight : usual;
      if (!onlyUpward || sample > faded)
        this.recentMean = Math.min(faded + (sample - faded) * weight, nextUsual * MAX_SLOWDOWN);
      this.usualMean = nextUsual;
    }
    this.lastMeanSampleAt = now;
  }

  private learnLatency(now: number, sample: number, onlyUpward: boolean): void {
    if (!(sample >= 0) || !Number.isFinite(sample)) return;
    this.learnMeans(now, sample, onlyUpward);
    const current = this.latencyEstimate;
    if (current === undefined) {
      if (onlyUpward) return;
      this.latencyEstimate = sample;
    } else if (sample >= current) {
      this.latencyEstimate = sample;
    } else if (onlyUpward) {
      return;
    } else {
      const keep = retained(now - this.latencySampledAt, this.latencyDecayMs);
      this.latencyEstimate = current * keep + sample * (1 - keep);
    }
    this.latencySampledAt = now;
  }
}
