import type { MockReply, MockRouteContext } from '../../dialect.ts';
import { modelNotFound } from './openai-errors.ts';

/** A fixed creation time keeps listings deterministic. */
const CREATED = 1_700_000_000;

function modelObject(id: string): object {
  return { id, object: 'model', created: CREATED, owned_by: 'system' };
}

/** GET /v1/models */
export function listModels(context: MockRouteContext): MockReply {
  return { kind: 'json', status: 200, body: { object: 'list', data: context.models.map(modelObject) } };
}

/** GET /v1/models/{model} */
export function retrieveModel(context: MockRouteContext): MockReply {
  const id = context.request.params.model ?? '';
  return context.models.includes(id)
    ? { kind: 'json', status: 200, body: modelObject(id) }
    : modelNotFound(id);
}
