/** `GET /v1/models` and `GET /v1/models/{model_id}`: Anthropic's model objects and list page. */
import type { MockReply, MockRouteContext } from '../../dialect.ts';
import { anthropicError } from './anthropic-mock-errors.ts';

/** A fixed release date: the mock's models have no history. */
const CREATED_AT = '2025-01-01T00:00:00Z';

function modelObject(id: string): Record<string, unknown> {
  return { type: 'model', id, display_name: id, created_at: CREATED_AT };
}

export function listModels(context: MockRouteContext): MockReply {
  const data = context.models.map(modelObject);
  return {
    kind: 'json',
    status: 200,
    body: {
      data,
      has_more: false,
      first_id: context.models[0] ?? null,
      last_id: context.models.at(-1) ?? null,
    },
  };
}

export function retrieveModel(context: MockRouteContext): MockReply {
  const id = context.request.params.model_id ?? '';
  if (!context.models.includes(id)) return anthropicError('not_found_error', `model: ${id}`);
  return { kind: 'json', status: 200, body: modelObject(id) };
}
