import type { MockDialect, MockReply, MockRequest, MockRouteContext } from '../../dialect.ts';
import { batchEmbedContents, embedContent } from './embed-content.ts';
import { generateContent, streamGenerateContent } from './generate-content.ts';
import { geminiFailure } from './google-errors.ts';
import { GeminiRequestError } from './gemini-request-error.ts';
import { getModel, listModels } from './models.ts';

const VERSIONS = ['v1', 'v1beta'];

/** Serves a route only under the API's versions, and turns a refusal thrown while reading into the answer. */
function versioned(
  handler: (context: MockRouteContext) => MockReply,
): (context: MockRouteContext) => MockReply {
  return (context) => {
    const { method, path, params } = context.request;
    if (!VERSIONS.includes(params.version ?? '')) return geminiFailure({ kind: 'not-found', method, path });
    try {
      return handler(context);
    } catch (error) {
      if (error instanceof GeminiRequestError) return error.reply;
      throw error;
    }
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The key from the `x-goog-api-key` header, or from the `key` query parameter the API also takes. */
function googleApiKey(request: MockRequest): string | undefined {
  return headerValue(request.headers['x-goog-api-key']) ?? request.query.get('key') ?? undefined;
}

/**
 * The Gemini API (Generative Language API, https://ai.google.dev/api), as far as Switchboard uses it. The base URL
 * is the origin, as Google's SDKs take it; the version is part of every path. Gemini sends no rate-limit headers.
 */
export const geminiDialect: MockDialect = {
  name: 'gemini',
  basePath: '',
  routes: [
    {
      method: 'POST',
      pattern: '/:version/models/:model\\:generateContent',
      handle: versioned(generateContent),
    },
    {
      method: 'POST',
      pattern: '/:version/models/:model\\:streamGenerateContent',
      handle: versioned(streamGenerateContent),
    },
    { method: 'POST', pattern: '/:version/models/:model\\:embedContent', handle: versioned(embedContent) },
    {
      method: 'POST',
      pattern: '/:version/models/:model\\:batchEmbedContents',
      handle: versioned(batchEmbedContents),
    },
    { method: 'GET', pattern: '/:version/models', handle: versioned(listModels) },
    { method: 'GET', pattern: '/:version/models/:model', handle: versioned(getModel) },
  ],
  apiKeyOf: googleApiKey,
  failure: geminiFailure,
  // With alt=sse a failed stream ends with one more event carrying the error body, framed as every event is.
  streamFailure: (failure) => `data: ${JSON.stringify(geminiFailure(failure).body)}\r\n\r\n`,
  streamEndMarker: false,
  rateLimitHeaders: () => ({}),
  commonHeaders: ({ elapsedMs }) => ({
    vary: 'Origin, X-Origin, Referer',
    server: 'scaffolding on HTTPServer2',
    'server-timing': `gfet4t7; dur=${Math.round(elapsedMs)}`,
    'x-xss-protection': '0',
    'x-frame-options': 'SAMEORIGIN',
    'x-content-type-options': 'nosniff',
  }),
};
