/**
 * OpenAI `chat.completion.chunk` payloads → Anthropic's stream: `message_start`, then per content block
 * `content_block_start`, deltas (`text_delta`, `input_json_delta`) and `content_block_stop`, then
 * `message_delta` (stop reason and usage) and `message_stop` when the upstream stream ends with "[DONE]".
 *
 * Input tokens are not known when `message_start` goes out (OpenAI reports usage in its last chunk), so it says 0
 * and `message_delta` carries the real, cumulative counts, input included, as the API's newer streams do.
 */
import type { OpenAIErrorBody } from '../../core/errors.ts';
import type { AnthropicStopReason, AnthropicStreamEvent } from '../../providers/anthropic/anthropic-types.ts';
import { formatSseEvent } from '../../../core/sse/sse-writer.ts';
import type { ClientStreamEncoder } from '../client-api.ts';
import { toAnthropicStreamError } from './anthropic-error.ts';
import { anthropicUsage, messageId, stopReason } from './to-anthropic-message.ts';
import { isRecord } from '../../../core/json.ts';

function frame(event: AnthropicStreamEvent): string {
  return formatSseEvent({ event: event.type, data: JSON.stringify(event) });
}

export class AnthropicStreamEncoder implements ClientStreamEncoder {
  #started = false;
  #finished = false;
  #nextIndex = 0;
  /** The kind of content block being written; its index is `#nextIndex`. */
  #open: 'text' | 'tool' | undefined;
  /** Block index of each OpenAI tool call, by its `index`. */
  readonly #toolBlocks = new Map<number, number>();
  #stopReason: AnthropicStopReason | undefined;
  #usage: unknown;

  encode(payload: string): string {
    if (this.#finished) return '';
    if (payload === '[DONE]') return this.#finish();
    const chunk: unknown = JSON.parse(payload);
    if (!isRecord(chunk)) return '';
    let out = this.#started ? '' : this.#start(chunk.id, chunk.model);
    if (isRecord(chunk.usage)) this.#usage = chunk.usage;
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const choice: unknown = choices.find((c: unknown) => isRecord(c) && (c.index ?? 0) === 0);
    if (!isRecord(choice)) return out;
    const delta = isRecord(choice.delta) ? choice.delta : {};
    for (const text of [delta.content, delta.refusal]) {
      if (typeof text === 'string' && text !== '') out += this.#text(text);
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls) if (isRecord(call)) out += this.#toolCall(call);
    }
    if (typeof choice.finish_reason === 'string') this.#stopReason = stopReason(choice.finish_reason);
    return out;
  }

  fail(error: OpenAIErrorBody): string {
    this.#finished = true;
    return frame(toAnthropicStreamError(error));
  }

  #start(id: unknown, model: unknown): string {
    this.#started = true;
    return frame({
      type: 'message_start',
      message: {
        id: messageId(id),
        type: 'message',
        role: 'assistant',
        model: typeof model === 'string' ? model : '',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    });
  }

  #text(text: string): string {
    let out = '';
    if (this.#open !== 'text') {
      out += this.#closeBlock();
      out += frame({
        type: 'content_block_start',
        index: this.#nextIndex,
        content_block: { type: 'text', text: '' },
      });
      this.#open = 'text';
    }
    return (
      out +
      frame({ type: 'content_block_delta', index: this.#nextIndex, delta: { type: 'text_delta', text } })
    );
  }

  #toolCall(call: Record<string, unknown>): string {
    const position = typeof call.index === 'number' ? call.index : 0;
    const fn = isRecord(call.function) ? call.function : {};
    const args = typeof fn.arguments === 'string' ? fn.arguments : '';
    let out = '';
    let index = this.#toolBlocks.get(position);
    if (index === undefined) {
      out += this.#closeBlock();
      index = this.#nextIndex;
      this.#toolBlocks.set(position, index);
      this.#open = 'tool';
      out += frame({
        type: 'content_block_start',
        index,
        content_block: {
          type: 'tool_use',
          id: typeof call.id === 'string' ? call.id : `toolu_${index}`,
          name: typeof fn.name === 'string' ? fn.name : '',
          input: {},
        },
      });
    }
    // Arguments for an earlier call (OpenAI streams calls one after another, so rarely) go to that call's block.
    if (args === '') return out;
    return (
      out +
      frame({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: args } })
    );
  }

  #closeBlock(): string {
    if (this.#open === undefined) return '';
    const index = this.#nextIndex;
    this.#open = undefined;
    this.#nextIndex += 1;
    return frame({ type: 'content_block_stop', index });
  }

  #finish(): string {
    this.#finished = true;
    let out = this.#started ? '' : this.#start(undefined, undefined);
    out += this.#closeBlock();
    const usage = anthropicUsage(this.#usage);
    out += frame({
      type: 'message_delta',
      delta: { stop_reason: this.#stopReason ?? 'end_turn', stop_sequence: null },
      usage,
    });
    return out + frame({ type: 'message_stop' });
  }
}
