import type { MockDialect, MockReply, MockRequest, MockRouteContext } from '../../dialect.ts';
import type { RateLimitState } from '../../rate-limit-window.ts';
import { createChatCompletion } from './chat-completions.ts';
import { createEmbeddings } from './embeddings.ts';
import { listModels, retrieveModel } from './models.ts';
import { formatOpenAiDuration } from './openai-duration.ts';
import { errorDataEvent, openAiFailure } from './openai-errors.ts';
import { OpenAiRequestError } from './openai-request-error.ts';

/** Turns a refusal thrown while reading the request into the answer. */
function refusing(
  handler: (context: MockRouteContext) => MockReply,
): (context: MockRouteContext) => MockReply {
  return (context) => {
    try {
      return handler(context);
    } catch (error) {
      if (error instanceof OpenAiRequestError) return error.reply;
      throw error;
    }
  };
}

function bearerKey(request: MockRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const space = header.indexOf(' ');
  if (space === -1 || header.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  return header.slice(space + 1).trim();
}

function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(state.limitRequests),
    'x-ratelimit-remaining-requests': String(state.remainingRequests),
    'x-ratelimit-reset-requests': formatOpenAiDuration(state.resetRequestsMs),
    'x-ratelimit-limit-tokens': String(state.limitTokens),
    'x-ratelimit-remaining-tokens': String(state.remainingTokens),
    'x-ratelimit-reset-tokens': formatOpenAiDuration(state.resetTokensMs),
  };
}

/** The OpenAI API (https://platform.openai.com/docs/api-reference), as far as Switchboard uses it. */
export const openAiDialect: MockDialect = {
  name: 'openai',
  basePath: '/v1',
  routes: [
    { method: 'POST', pattern: '/v1/chat/completions', handle: refusing(createChatCompletion) },
    { method: 'POST', pattern: '/v1/embeddings', handle: refusing(createEmbeddings) },
    { method: 'GET', pattern: '/v1/models', handle: listModels },
    { method: 'GET', pattern: '/v1/models/:model', handle: retrieveModel },
  ],
  apiKeyOf: bearerKey,
  failure: openAiFailure,
  streamFailure: (failure) => errorDataEvent(openAiFailure(failure)),
  streamEndMarker: true,
  rateLimitHeaders,
  commonHeaders: ({ elapsedMs, randomId }) => ({
    'x-request-id': `req_${randomId(32)}`,
    'openai-processing-ms': String(Math.round(elapsedMs)),
    'openai-version': '2020-10-01',
    'openai-organization': 'org-mock',
  }),
};
