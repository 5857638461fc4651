import { deterministicUnitVector } from '../../deterministic-vector.ts';
import type { MockReply, MockRouteContext } from '../../dialect.ts';
import { estimateTokens } from '../../text-tokens.ts';
import { invalidRequest } from './openai-errors.ts';
import { invalidValue, missing, optionalInteger, requireModel, requireObjectBody } from './openai-fields.ts';
import { OpenAiRequestError } from './openai-request-error.ts';

const ENCODINGS = ['float', 'base64'] as const;
const MAX_INPUTS = 2048;

/** One embedding input: text, or a list of token ids. */
type EmbeddingInput = { text: string } | { tokens: number[] };

/** POST /v1/embeddings: a list of deterministic unit vectors, one per input, as floats or base64. */
export function createEmbeddings(context: MockRouteContext): MockReply {
  const body = requireObjectBody(context.request.body);
  const model = requireModel(body, context);
  const inputs = readInputs(body.input);
  const encoding = body.encoding_format ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') {
    throw invalidValue('encoding_format', encoding, ENCODINGS);
  }
  const dimensions = optionalInteger(body, 'dimensions', 1) ?? (model.includes('large') ? 3072 : 1536);

  let promptTokens = 0;
  const data = inputs.map((input, index) => {
    promptTokens += 'text' in input ? estimateTokens(input.text) : input.tokens.length;
    const key = 'text' in input ? `text:${input.text}` : `tokens:${input.tokens.join(',')}`;
    const vector = deterministicUnitVector(key, dimensions);
    const embedding =
      encoding === 'float' ? vector : Buffer.from(new Float32Array(vector).buffer).toString('base64');
    return { object: 'embedding', index, embedding };
  });
  const body200 = {
    object: 'list',
    data,
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
  return { kind: 'json', status: 200, body: body200, tokens: promptTokens };
}

function readInputs(input: unknown): EmbeddingInput[] {
  if (input === undefined || input === null) throw missing('input');
  if (typeof input === 'string' && input !== '') return [{ text: input }];
  if (Array.isArray(input) && input.length > 0 && input.length <= MAX_INPUTS) {
    if (input.every((x) => typeof x === 'string' && x !== '')) return input.map((text: string) => ({ text }));
    if (isTokenList(input)) return [{ tokens: input }];
    if (input.every(isTokenList)) return input.map((tokens: number[]) => ({ tokens }));
  }
  throw new OpenAiRequestError(
    invalidRequest(
      "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
    ),
  );
}

function isTokenList(value: unknown): value is number[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)
  );
}
