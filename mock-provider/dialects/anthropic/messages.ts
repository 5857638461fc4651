/**
 * `POST /v1/messages`: a `message` object, or with `stream: true` the documented event sequence:
 * message_start, then per content block content_block_start / content_block_delta… / content_block_stop (a
 * ping after the first block starts), message_delta (stop reason, output tokens), message_stop.
 */
import type {
  AnthropicErrorBody,
  AnthropicErrorType,
  AnthropicMessage,
  AnthropicStreamEvent,
} from '../../../sidecar/providers/anthropic/anthropic-types.ts';
import { formatSseEvent } from '../../../core/sse/sse-writer.ts';
import type { MockReply, MockRouteContext } from '../../dialect.ts';
import { splitEvenly } from '../../text-tokens.ts';
import { readMessagesRequest } from './messages-request.ts';
import { planReply, type PlannedBlock, type ReplyPlan } from './reply-plan.ts';

/** Ends streams early with an `error` event, as the API does when it fails mid-answer (e.g. overloaded). */
export interface MidStreamError {
  /** Events written before the error event. */
  readonly afterEvents: number;
  readonly type: AnthropicErrorType;
  readonly message: string;
}

export function createMessage(context: MockRouteContext, midStreamError?: MidStreamError): MockReply {
  const request = readMessagesRequest(context);
  const plan = planReply(context, request);
  const message: AnthropicMessage = {
    id: `msg_${context.randomId(24)}`,
    type: 'message',
    role: 'assistant',
    model: request.model,
    content: plan.blocks,
    stop_reason: plan.stopReason,
    stop_sequence: plan.stopSequence,
    usage: {
      input_tokens: plan.inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: plan.outputTokens,
    },
  };
  const tokens = plan.inputTokens + plan.outputTokens;
  if (!request.stream) return { kind: 'json', status: 200, body: message, tokens };
  const events = streamEvents(message, plan, context.behaviour.streamChunks);
  if (midStreamError === undefined || midStreamError.afterEvents >= events.length) {
    return { kind: 'sse', events: events.map(frame), tokens };
  }
  const error: AnthropicErrorBody = {
    type: 'error',
    error: { type: midStreamError.type, message: midStreamError.message },
  };
  return { kind: 'sse', events: [...events.slice(0, midStreamError.afterEvents), error].map(frame), tokens };
}

function streamEvents(message: AnthropicMessage, plan: ReplyPlan, pieces: number): AnthropicStreamEvent[] {
  const events: AnthropicStreamEvent[] = [
    {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...message.usage, output_tokens: 1 },
      },
    },
  ];
  plan.blocks.forEach((block, index) => {
    events.push({ type: 'content_block_start', index, content_block: emptyBlock(block) });
    if (index === 0) events.push({ type: 'ping' });
    if (block.type === 'text') {
      for (const text of splitEvenly(block.text, pieces)) {
        events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
      }
    } else {
      // The first input delta of a tool call is empty, as the API sends it.
      const json = ['', ...splitEvenly(JSON.stringify(block.input), pieces)];
      for (const partial_json of json) {
        events.push({
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json },
        });
      }
    }
    events.push({ type: 'content_block_stop', index });
  });
  if (plan.blocks.length === 0) events.push({ type: 'ping' });
  events.push({
    type: 'message_delta',
    delta: { stop_reason: plan.stopReason, stop_sequence: plan.stopSequence },
    usage: { output_tokens: plan.outputTokens },
  });
  events.push({ type: 'message_stop' });
  return events;
}

/** A block as content_block_start announces it: no text yet, an empty tool input. */
function emptyBlock(block: PlannedBlock): PlannedBlock {
  return block.type === 'text' ? { type: 'text', text: '' } : { ...block, input: {} };
}

function frame(event: AnthropicStreamEvent): string {
  return formatSseEvent({ event: event.type, data: JSON.stringify(event) });
}
