/**
 * This sidecar's budget at one provider: its share of the provider's requests and tokens per minute (the whole
 * limit when standalone, the operator's QuotaShare otherwise), enforced locally with no shared counter.
 *
 * Burst: each bucket holds 3 s of its share (1/20 of a minute, at least one request or token) and starts full.
 * Over any 60 s a sidecar then sends at most its share × 1.05: with the shares summing to at most the limit, the
 * fleet stays within 5 % of it, while a sidecar that sends steadily is never held below its share.
 *
 * Requests are taken when the provider is picked; tokens are taken then as the request's estimate (input from
 * the prompt, output from max_tokens or a default), and settled when the answer's usage arrives (`settleTokens`,
 * from the answer or the stream's final usage): an estimate above the actual use is given back, one below it is
 * taken on top. So the bucket counts what the provider really counted, and a sidecar whose requests ask for far
 * more output than they get still uses its whole share. Until usage arrives the estimate is held, so requests in
 * flight cannot overdraw the share; an answer without usage (a failure, a stream without its usage event) keeps
 * the estimate (too much rather than too little). A bucket may go below zero, so a large request costs the next
 * ones some waiting rather than the fleet its limit.
 */
import { TokenBucket } from './token-bucket.ts';

/** Per minute; an absent kind has no limit. */
export interface QuotaRates {
  readonly requestsPerMinute?: number | undefined;
  readonly tokensPerMinute?: number | undefined;
}

export const BURST_MS = 3_000;
const MINUTE_MS = 60_000;

const capacityOf = (perMinute: number): number => Math.max(1, (perMinute * BURST_MS) / MINUTE_MS);

export interface QuotaBlock {
  readonly why: string;
  /** When the budget admits again; undefined when it never refills (a share of 0). */
  readonly until: number | undefined;
}

export class QuotaBudget {
  #requests: TokenBucket | undefined;
  #tokens: TokenBucket | undefined;
  #rates: QuotaRates = {};

  constructor(rates: QuotaRates, now: number) {
    this.setRates(rates, now);
  }

  get rates(): QuotaRates {
    return this.#rates;
  }

  /** Adopts a new share; what is left in the buckets carries over (clamped to the new burst). */
  setRates(rates: QuotaRates, now: number): void {
    this.#rates = rates;
    this.#requests = reconfigured(this.#requests, rates.requestsPerMinute, now);
    this.#tokens = reconfigured(this.#tokens, rates.tokensPerMinute, now);
  }

  /** Undefined when the budget admits a request at `now`; else why not and until when. */
  blocked(now: number): QuotaBlock | undefined {
    const requestsAt = this.#requests?.readyAt(now, 1) ?? now;
    const tokensAt = this.#tokens?.readyAt(now, 1) ?? now;
    const until = Math.max(requestsAt, tokensAt);
    if (until <= now) return undefined;
    const why = requestsAt >= tokensAt ? 'request quota share used up' : 'token quota share used up';
    return { why, until: Number.isFinite(until) ? until : undefined };
  }

  /** Takes one request and `tokens` (an estimate) from the budget, if it admits one now. */
  tryTake(now: number, tokens: number): boolean {
    if (this.blocked(now) !== undefined) return false;
    this.#requests?.take(now, 1);
    this.#tokens?.take(now, Math.max(0, tokens));
    return true;
  }

  /** A request admitted with `estimated` tokens used `actual` ones: gives back, or takes, the difference. */
  settleTokens(now: number, estimated: number, actual: number): void {
    const excess = Math.max(0, estimated) - Math.max(0, actual);
    if (excess > 0) this.#tokens?.give(now, excess);
    else if (excess < 0) this.#tokens?.take(now, -excess);
  }
}

function reconfigured(
  bucket: TokenBucket | undefined,
  perMinute: number | undefined,
  now: number,
): TokenBucket | undefined {
  if (perMinute === undefined) return undefined;
  if (bucket === undefined) return new TokenBucket(perMinute, capacityOf(perMinute), now);
  bucket.reconfigure(perMinute, capacityOf(perMinute), now);
  return bucket;
}
