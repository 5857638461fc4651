/**
 * `models/{model}:embedContent` → `{embedding: {values}}` and `models/{model}:batchEmbedContents` →
 * `{embeddings: [{values}]}`: deterministic unit vectors of the model's size or `outputDimensionality`.
 */
import { deterministicUnitVector } from '../../deterministic-vector.ts';
import type { MockReply, MockRouteContext } from '../../dialect.ts';
import { estimateTokens } from '../../text-tokens.ts';
import { invalidField, modelNotFound } from './google-errors.ts';
import { GeminiRequestError } from './gemini-request-error.ts';
import {
  isObject,
  optionalArray,
  optionalNumber,
  optionalObject,
  optionalString,
  refuseUnknownFields,
} from './proto-json.ts';

const EMBED_FIELDS = ['model', 'content', 'taskType', 'title', 'outputDimensionality'];
const MAX_BATCH = 100;

function modelOf(context: MockRouteContext, method: string): string {
  const { model, version } = context.request.params as { model: string; version: string };
  if (context.strictModels && !context.models.includes(model)) {
    throw new GeminiRequestError(modelNotFound(model, version, method));
  }
  return model;
}

function defaultDimensions(model: string): number {
  return model.startsWith('gemini-embedding') ? 3072 : 768;
}

function embed(
  request: unknown,
  model: string,
  message: string,
  at: string,
): { values: number[]; tokens: number } {
  if (!isObject(request))
    throw new GeminiRequestError(invalidField(`${message}.content`, 'content is not specified'));
  refuseUnknownFields(request, EMBED_FIELDS, at);
  const content = optionalObject(request, 'content', at);
  const parts = content ? (optionalArray(content, 'parts', `${at}.content`) ?? []) : [];
  const text = parts
    .map((p, j) => (isObject(p) ? (optionalString(p, 'text', `${at}.content.parts[${j}]`) ?? '') : ''))
    .join(' ');
  if (parts.length === 0)
    throw new GeminiRequestError(
      invalidField(`${message}.content.parts`, 'contents.parts must not be empty.'),
    );
  const dimensions = optionalNumber(request, 'outputDimensionality', at, true) ?? defaultDimensions(model);
  if (dimensions < 1) {
    throw new GeminiRequestError(
      invalidField(`${message}.output_dimensionality`, 'output_dimensionality must be positive.'),
    );
  }
  return { values: deterministicUnitVector(`text:${text}`, dimensions), tokens: estimateTokens(text) };
}

export function embedContent(context: MockRouteContext): MockReply {
  const model = modelOf(context, 'embedContent');
  const { values, tokens } = embed(context.request.body, model, 'EmbedContentRequest', '');
  return { kind: 'json', status: 200, body: { embedding: { values } }, tokens };
}

export function batchEmbedContents(context: MockRouteContext): MockReply {
  const model = modelOf(context, 'batchEmbedContents');
  const body = isObject(context.request.body) ? context.request.body : {};
  refuseUnknownFields(body, ['requests'], '');
  const requests = optionalArray(body, 'requests', '') ?? [];
  if (requests.length === 0 || requests.length > MAX_BATCH) {
    throw new GeminiRequestError(
      invalidField(
        'BatchEmbedContentsRequest.requests',
        `between 1 and ${MAX_BATCH} requests are allowed in one batch.`,
      ),
    );
  }
  let tokens = 0;
  const embeddings = requests.map((request, i) => {
    const named = isObject(request) ? request.model : undefined;
    if (named !== `models/${model}`) {
      throw new GeminiRequestError(
        invalidField(
          `BatchEmbedContentsRequest.requests[${i}].model`,
          `the model of each request must be the batch's model, models/${model}.`,
        ),
      );
    }
    const one = embed(request, model, `BatchEmbedContentsRequest.requests[${i}]`, `requests[${i}]`);
    tokens += one.tokens;
    return { values: one.values };
  });
  return { kind: 'json', status: 200, body: { embeddings }, tokens };
}
