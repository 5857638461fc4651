/** `GET models` and `GET models/{model}`: Model resources for the mock's models. */
import type { MockReply, MockRouteContext } from '../../dialect.ts';
import { googleError } from './google-errors.ts';

function modelResource(model: string): object {
  const embedding = model.includes('embedding');
  return {
    name: `models/${model}`,
    version: '001',
    displayName: model,
    description: `Mock of ${model}`,
    inputTokenLimit: embedding ? 2048 : 1_048_576,
    outputTokenLimit: embedding ? 1 : 65_536,
    supportedGenerationMethods: embedding
      ? ['embedContent', 'batchEmbedContents']
      : ['generateContent', 'streamGenerateContent', 'countTokens'],
  };
}

export function listModels(context: MockRouteContext): MockReply {
  return { kind: 'json', status: 200, body: { models: context.models.map(modelResource) } };
}

export function getModel(context: MockRouteContext): MockReply {
  const model = context.request.params.model ?? '';
  if (!context.models.includes(model)) {
    return googleError(
      'NOT_FOUND',
      `models/${model} is not found for API version ${context.request.params.version ?? ''}.`,
    );
  }
  return { kind: 'json', status: 200, body: modelResource(model) };
}
