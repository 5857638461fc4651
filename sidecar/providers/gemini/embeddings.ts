/**
 * OpenAI embeddings ↔ Gemini `batchEmbedContents`: one request per input text, answered in order with
 * `{embeddings: [{values}]}`. Gemini reports no token usage for embeddings; the answer then says 0 tokens and the
 * sidecar records none.
 */
import type { TargetEndpoint, TokenUsage } from '../adapter.ts';
import type { GeminiBatchEmbedContentsRequest } from './gemini-types.ts';
import { isRecord, numberOf, recordsIn } from '../../../core/json.ts';
import { modelName } from './gemini-url.ts';
import { UntranslatableRequest } from './untranslatable.ts';

type EmbeddingsRequest = Readonly<Record<string, unknown>>;

export function translateEmbeddingsRequest(
  request: EmbeddingsRequest,
  target: TargetEndpoint,
): GeminiBatchEmbedContentsRequest {
  const input = request.input;
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input : [];
  if (texts.length === 0 || !texts.every((t): t is string => typeof t === 'string')) {
    throw new UntranslatableRequest('the gemini dialect embeds text only, not token ids');
  }
  if (
    request.encoding_format !== undefined &&
    !['float', 'base64'].includes(String(request.encoding_format))
  ) {
    throw new UntranslatableRequest(`encoding_format "${String(request.encoding_format)}" is not supported`);
  }
  const dimensions = numberOf(request.dimensions);
  const model = `models/${modelName(target)}`;
  return {
    requests: texts.map((text) => ({
      model,
      content: { parts: [{ text }] },
      ...(dimensions !== undefined && { outputDimensionality: dimensions }),
    })),
  };
}

export function translateEmbeddingsResponse(
  body: unknown,
  target: TargetEndpoint,
  request: EmbeddingsRequest,
): { body: unknown; usage: TokenUsage | undefined } {
  const base64 = request.encoding_format === 'base64';
  const data = recordsIn(isRecord(body) ? body.embeddings : undefined).map((embedding, index) => {
    const values = Array.isArray(embedding.values)
      ? embedding.values.filter((v) => typeof v === 'number')
      : [];
    return {
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(new Float32Array(values).buffer).toString('base64') : values,
    };
  });
  const meta = isRecord(body) && isRecord(body.usageMetadata) ? body.usageMetadata : undefined;
  const promptTokens = numberOf(meta?.promptTokenCount);
  return {
    body: {
      object: 'list',
      data,
      model: target.model,
      usage: { prompt_tokens: promptTokens ?? 0, total_tokens: promptTokens ?? 0 },
    },
    usage: promptTokens === undefined ? undefined : { inputTokens: promptTokens, outputTokens: 0 },
  };
}
