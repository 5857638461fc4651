/**
 * What an OpenAI chat request may ask that the Messages API cannot give. A request with any of these is not
 * sent to an Anthropic target; when no other target can serve it the app gets a 400 with the reason.
 */
import { toMessagesRequest } from './anthropic-request.ts';
import { Untranslatable } from './untranslatable.ts';
import { isRecord } from '../../../core/json.ts';

interface FeatureCheck {
  readonly asks: (request: Readonly<Record<string, unknown>>) => boolean;
  readonly reason: string;
}

const present = (value: unknown): boolean => value !== undefined && value !== null;

const FEATURE_CHECKS: readonly FeatureCheck[] = [
  {
    asks: (r) => typeof r.n === 'number' && r.n > 1,
    reason: 'n > 1: the Messages API returns one choice per request',
  },
  {
    asks: (r) => r.logprobs === true || present(r.top_logprobs),
    reason: 'logprobs: the Messages API returns no token log probabilities',
  },
  {
    asks: (r) => present(r.audio) || (Array.isArray(r.modalities) && r.modalities.includes('audio')),
    reason: 'audio output: the Messages API answers in text only',
  },
  {
    asks: (r) => isRecord(r.logit_bias) && Object.keys(r.logit_bias).length > 0,
    reason: 'logit_bias: the Messages API cannot bias tokens',
  },
  {
    asks: (r) => present(r.functions) || present(r.function_call),
    reason: 'legacy functions/function_call: use tools and tool_choice',
  },
  {
    asks: (r) => present(r.prediction),
    reason: 'prediction (predicted outputs): not offered by the Messages API',
  },
  {
    asks: (r) => present(r.web_search_options),
    reason: 'web_search_options: the Anthropic dialect does not configure server-side web search',
  },
];

export function unsupportedFeature(request: Readonly<Record<string, unknown>>): string | undefined {
  const reasons = FEATURE_CHECKS.filter((c) => c.asks(request)).map((c) => c.reason);
  if (reasons.length > 0) return reasons.join('; ');
  try {
    toMessagesRequest(request, { model: 'check', maxOutputTokens: undefined });
    return undefined;
  } catch (err) {
    if (err instanceof Untranslatable) return err.message;
    throw err;
  }
}
