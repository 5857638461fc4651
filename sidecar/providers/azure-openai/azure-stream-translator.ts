import type { UpstreamEvent } from '../adapter.ts';
import { DelegatingStreamTranslator } from '../delegating-stream-translator.ts';
import { isRecord } from '../../../core/json.ts';

/**
 * Azure streams OpenAI's chunks, plus a first chunk of its own that carries only the prompt's content-filter
 * results: empty `choices`, no usage, and empty `id`, `model` and `object`. That chunk is not an OpenAI chunk
 * and would give clients a second, empty id, so it is dropped; every other chunk (with the `content_filter_results`
 * Azure adds to choices) goes to the OpenAI translator.
 */
export class AzureStreamTranslator extends DelegatingStreamTranslator {
  onEvent(event: UpstreamEvent): readonly string[] {
    if (event.data.includes('"prompt_filter_results"') && isPromptFilterOnly(JSON.parse(event.data)))
      return [];
    return this.inner.onEvent(event);
  }
}

function isPromptFilterOnly(chunk: unknown): boolean {
  if (!isRecord(chunk)) return false;
  const { choices, usage } = chunk;
  return Array.isArray(choices) && choices.length === 0 && (usage === undefined || usage === null);
}
