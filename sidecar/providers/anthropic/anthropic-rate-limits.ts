/**
 * Anthropic's rate-limit headers: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-
 * {limit,remaining,reset}`, resets as RFC 3339 timestamps of full replenishment. The `tokens` budget is the most restrictive token
 * limit in effect; when it is absent the scarcer of the input and output budgets stands in for it.
 */
import type { HeaderLookup, RateLimitBudget, RateLimitSnapshot } from '../adapter.ts';
import { rateLimitHeaderName, type AnthropicRateLimitBudget } from './anthropic-types.ts';

export function readAnthropicRateLimits(header: HeaderLookup): RateLimitSnapshot | undefined {
  const requests = readBudget(header, 'requests');
  const tokens =
    readBudget(header, 'tokens') ??
    scarcer(readBudget(header, 'input-tokens'), readBudget(header, 'output-tokens'));
  if (!requests && !tokens) return undefined;
  return { ...(requests && { requests }), ...(tokens && { tokens }) };
}

function readBudget(header: HeaderLookup, budget: AnthropicRateLimitBudget): RateLimitBudget | undefined {
  const remaining = toNumber(header(rateLimitHeaderName(budget, 'remaining')));
  if (remaining === undefined) return undefined;
  const reset = header(rateLimitHeaderName(budget, 'reset'));
  // RFC 3339: the time the budget is fully replenished, not when it has room again.
  const fullAt = reset === undefined ? Number.NaN : Date.parse(reset);
  return {
    remaining,
    limit: toNumber(header(rateLimitHeaderName(budget, 'limit'))),
    fullAt: Number.isFinite(fullAt) ? fullAt : undefined,
  };
}

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function share(b: RateLimitBudget): number {
  return b.limit === undefined || b.limit <= 0 ? (b.remaining > 0 ? 1 : 0) : b.remaining / b.limit;
}

function scarcer(
  a: RateLimitBudget | undefined,
  b: RateLimitBudget | undefined,
): RateLimitBudget | undefined {
  if (!a || !b) return a ?? b;
  return share(b) < share(a) ? b : a;
}
