/**
 * What a client already has of an answer whose stream was interrupted: the text of its one choice and the
 * identity of its chunks (id, model, created), read from the OpenAI chunk payloads that went out. Only plain text
 * can be continued: a tool call, a refusal, several choices or a finished choice cannot (the client then gets the
 * stream's error event, as before continuation existed).
 */
import { isRecord, numberOf, recordsIn, stringOf } from '../../../core/json.ts';

export interface ChunkIdentity {
  readonly id: string | undefined;
  readonly model: string | undefined;
  readonly created: number | undefined;
}

export interface PartialAnswer {
  readonly text: string;
  readonly identity: ChunkIdentity;
}

export type PartialReading =
  | { readonly kind: 'continuable'; readonly answer: PartialAnswer }
  | { readonly kind: 'not-continuable'; readonly reason: string };

function notContinuable(reason: string): PartialReading {
  return { kind: 'not-continuable', reason };
}

/** Reads the payloads sent to the client, in order ("[DONE]" never among them: the stream did not end). */
export function readPartialAnswer(payloads: readonly string[]): PartialReading {
  let text = '';
  let identity: ChunkIdentity | undefined;
  for (const payload of payloads) {
    let chunk: unknown;
    try {
      chunk = JSON.parse(payload);
    } catch {
      return notContinuable('a payload sent was not JSON');
    }
    if (!isRecord(chunk)) continue;
    identity ??= {
      id: stringOf(chunk.id),
      model: stringOf(chunk.model),
      created: numberOf(chunk.created),
    };
    for (const choice of recordsIn(chunk.choices)) {
      if ((numberOf(choice.index) ?? 0) !== 0) return notContinuable('the answer has several choices');
      if (choice.finish_reason != null) return notContinuable('the answer had already finished');
      const delta = isRecord(choice.delta) ? choice.delta : {};
      if ((Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) || isRecord(delta.function_call)) {
        return notContinuable('the answer is a tool call');
      }
      if ((stringOf(delta.refusal) ?? '') !== '') return notContinuable('the answer is a refusal');
      text += stringOf(delta.content) ?? '';
    }
  }
  if (identity === undefined) return notContinuable('nothing of the answer was sent');
  return { kind: 'continuable', answer: { text, identity } };
}
