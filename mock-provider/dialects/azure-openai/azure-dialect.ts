import type { MockDialect, MockReply, MockRequest, MockRouteContext } from '../../dialect.ts';
import type { RateLimitState } from '../../rate-limit-window.ts';
import { createChatCompletion } from '../openai/chat-completions.ts';
import { createEmbeddings } from '../openai/embeddings.ts';
import { listModels } from '../openai/models.ts';
import { errorDataEvent } from '../openai/openai-errors.ts';
import { OpenAiRequestError } from '../openai/openai-request-error.ts';
import { fieldRefusal, readApiVersion } from './azure-api-version.ts';
import { azureFailure, deploymentNotFound } from './azure-errors.ts';
import {
  annotate,
  BLOCK_COMPLETION_MARKER,
  BLOCK_PROMPT_MARKER,
  mentions,
  promptFiltered,
} from './content-filter.ts';
import { isRecord } from '../../../core/json.ts';

type Handler = (context: MockRouteContext) => MockReply;

/**
 * What every deployment route does before the OpenAI handler it wraps: require a known `api-version`, find the
 * deployment, refuse fields the version lacks, and name the deployment as the body's model (Azure reads the
 * model from the URL; the body's `model` is optional and ignored).
 */
function onDeployment(handler: Handler): Handler {
  return (context) => {
    const version = readApiVersion(context.request.query);
    if ('refusal' in version) return version.refusal;
    const deployment = context.request.params.deployment ?? '';
    if (context.strictModels && !context.models.includes(deployment)) return deploymentNotFound();
    const refusal = fieldRefusal(context.request.body, version.date);
    if (refusal !== undefined) return refusal;
    const body = context.request.body;
    const request = { ...context.request, body: isRecord(body) ? { ...body, model: deployment } : body };
    try {
      return handler({ ...context, request });
    } catch (error) {
      if (error instanceof OpenAiRequestError) return error.reply;
      throw error;
    }
  };
}

/** GET /openai/models?api-version=…: the resource's models (what the sidecar's active probes read). */
function versionedListModels(context: MockRouteContext): MockReply {
  const version = readApiVersion(context.request.query);
  return 'refusal' in version ? version.refusal : listModels(context);
}

function chatCompletion(context: MockRouteContext): MockReply {
  const body = context.request.body;
  if (mentions(body, BLOCK_PROMPT_MARKER)) return promptFiltered();
  return annotate(createChatCompletion(context), mentions(body, BLOCK_COMPLETION_MARKER));
}

function apiKey(request: MockRequest): string | undefined {
  const value = request.headers['api-key'];
  return Array.isArray(value) ? value[0] : value;
}

/** Azure announces remaining and limit of both budgets, with resets in whole seconds. */
function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(state.limitRequests),
    'x-ratelimit-remaining-requests': String(state.remainingRequests),
    'x-ratelimit-reset-requests': String(Math.ceil(state.resetRequestsMs / 1000)),
    'x-ratelimit-limit-tokens': String(state.limitTokens),
    'x-ratelimit-remaining-tokens': String(state.remainingTokens),
    'x-ratelimit-reset-tokens': String(Math.ceil(state.resetTokensMs / 1000)),
  };
}

function requestId(randomId: (length: number) => string): string {
  const hex = randomId(32)
    .split('')
    .map((c) => (c.charCodeAt(0) % 16).toString(16))
    .join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Azure OpenAI (learn.microsoft.com, "Azure OpenAI REST API reference"): deployment routes under `/openai`, the
 * `api-version` query required, an `api-key` header, OpenAI's bodies with content-filter annotations, and the
 * gateway's own error bodies for 401, 404 and 429. The base path is `/openai`, as the `AzureOpenAI` SDK client's
 * base URL is; the resource endpoint is the origin.
 */
export const azureOpenAiDialect: MockDialect = {
  name: 'azure-openai',
  basePath: '/openai',
  routes: [
    {
      method: 'POST',
      pattern: '/openai/deployments/:deployment/chat/completions',
      handle: onDeployment(chatCompletion),
    },
    {
      method: 'POST',
      pattern: '/openai/deployments/:deployment/embeddings',
      handle: onDeployment(createEmbeddings),
    },
    { method: 'GET', pattern: '/openai/models', handle: versionedListModels },
  ],
  apiKeyOf: apiKey,
  failure: azureFailure,
  streamFailure: (failure) => errorDataEvent(azureFailure(failure)),
  streamEndMarker: true,
  rateLimitHeaders,
  commonHeaders: ({ randomId }) => {
    const id = requestId(randomId);
    return { 'apim-request-id': id, 'x-request-id': id, 'x-ms-region': 'East US' };
  },
};
