/**
 * The Anthropic Messages API (https://docs.anthropic.com/en/api/messages) as the mock provider speaks it. The
 * base URL is the origin, as Anthropic's SDK takes it (`https://api.anthropic.com`); routes carry `/v1`.
 */
import {
  ANTHROPIC_VERSIONS,
  rateLimitHeaderName,
  type AnthropicRateLimitBudget,
} from '../../../sidecar/providers/anthropic/anthropic-types.ts';
import { formatSseEvent } from '../../../core/sse/sse-writer.ts';
import type { MockDialect, MockReply, MockRequest, MockRouteContext } from '../../dialect.ts';
import type { RateLimitState } from '../../rate-limit-window.ts';
import {
  AnthropicRequestError,
  anthropicFailure,
  invalid,
  type ServerErrorKind,
} from './anthropic-mock-errors.ts';
import { createMessage, type MidStreamError } from './messages.ts';
import { listModels, retrieveModel } from './models.ts';

export interface AnthropicDialectOptions {
  /** How injected server errors (the `errorRate` knob) are answered: 500 api_error (default) or 529 overloaded. */
  readonly serverError?: ServerErrorKind;
  /** End every stream with an `error` event after this many events. */
  readonly midStreamError?: MidStreamError;
}

export function createAnthropicDialect(options: AnthropicDialectOptions = {}): MockDialect {
  const serverError = options.serverError ?? 'api_error';
  return {
    name: 'anthropic',
    basePath: '',
    routes: [
      {
        method: 'POST',
        pattern: '/v1/messages',
        handle: versioned((context) => createMessage(context, options.midStreamError)),
      },
      { method: 'GET', pattern: '/v1/models', handle: versioned(listModels) },
      { method: 'GET', pattern: '/v1/models/:model_id', handle: versioned(retrieveModel) },
    ],
    apiKeyOf: (request: MockRequest) => headerValue(request.headers['x-api-key']),
    failure: (failure) => anthropicFailure(failure, serverError),
    streamFailure: (failure) =>
      formatSseEvent({ event: 'error', data: JSON.stringify(anthropicFailure(failure, serverError).body) }),
    streamEndMarker: true,
    rateLimitHeaders,
    commonHeaders: ({ randomId }) => ({
      'request-id': `req_${randomId(24)}`,
      'anthropic-organization-id': 'mock-organization',
    }),
  };
}

export const anthropicDialect: MockDialect = createAnthropicDialect();

/** Every route requires a known `anthropic-version`; refusals thrown while reading become the answer. */
function versioned(
  handler: (context: MockRouteContext) => MockReply,
): (context: MockRouteContext) => MockReply {
  return (context) => {
    try {
      const version = headerValue(context.request.headers['anthropic-version']);
      if (version === undefined) throw invalid('anthropic-version: header is required');
      if (!ANTHROPIC_VERSIONS.includes(version))
        throw invalid(`anthropic-version: "${version}" is not a valid version`);
      return handler(context);
    } catch (error) {
      if (error instanceof AnthropicRequestError) return error.reply;
      throw error;
    }
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The mock keeps one token window, announced as the `tokens` budget and as the input and output budgets.
 * Remaining tokens are exact (the API rounds them to thousands), so small test limits stay visible.
 */
function rateLimitHeaders(state: RateLimitState, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = {};
  const put = (budget: AnthropicRateLimitBudget, limit: number, remaining: number, resetMs: number): void => {
    headers[rateLimitHeaderName(budget, 'limit')] = String(limit);
    headers[rateLimitHeaderName(budget, 'remaining')] = String(remaining);
    headers[rateLimitHeaderName(budget, 'reset')] = rfc3339(nowMs + resetMs);
  };
  put('requests', state.limitRequests, state.remainingRequests, state.resetRequestsMs);
  for (const budget of ['tokens', 'input-tokens', 'output-tokens'] as const) {
    put(budget, state.limitTokens, state.remainingTokens, state.resetTokensMs);
  }
  return headers;
}

/** Whole seconds, rounded up so a reset is never announced early: 2025-01-01T00:00:00Z. */
function rfc3339(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
