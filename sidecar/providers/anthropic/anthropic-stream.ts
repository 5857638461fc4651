/**
 * Anthropic's Messages stream → OpenAI `chat.completion.chunk` payloads.
 *
 * message_start          → nothing yet (id, model, input tokens noted)
 * content_block_start    → a tool call's id and name (tool_use); nothing for text
 * content_block_delta    → `content` (text_delta) or tool-call `arguments` (input_json_delta)
 * message_delta          → the chunk with `finish_reason` (usage noted)
 * message_stop           → the usage chunk if the client asked, then [DONE]; the stream is finished
 *                          (a body that ends cleanly after message_delta is complete: the same is sent then)
 * ping, thinking, unknown → nothing
 * error                  → thrown as UpstreamStreamError
 *
 * The assistant role rides on the first chunk with content rather than on a chunk of its own at message_start:
 * Anthropic reports overload as an `error` event early in a stream, and as long as nothing has been sent to
 * the client the request can still be retried on another provider.
 */
import { isAnthropicContextLengthError } from './anthropic-errors.ts';
import { UpstreamStreamError } from '../../core/errors.ts';
import type { StreamTranslator, TokenUsage, TranslateOptions, UpstreamEvent } from '../adapter.ts';
import { ANTHROPIC_ERROR_STATUS } from './anthropic-types.ts';
import { readUsage, toOpenAIUsage, toTokenUsage, type UsageCounts } from './anthropic-usage.ts';
import { STRUCTURED_OUTPUT_TOOL } from './convert-tools.ts';
import { finishReason } from './finish-reason.ts';
import { isRecord, stringOf } from '../../../core/json.ts';

/** What an Anthropic content block is to the client. */
type BlockRole =
  | { readonly kind: 'text' }
  | { readonly kind: 'tool-call'; readonly toolIndex: number }
  /** The JSON-mode tool: its input is the answer's content. */
  | { readonly kind: 'json-answer' }
  | { readonly kind: 'ignored' };

/** Stream errors another provider may well not have; others are the request's fault. */
const RETRYABLE_STREAM_ERRORS: ReadonlySet<string> = new Set([
  'overloaded_error',
  'api_error',
  'rate_limit_error',
]);
/** Overload is reported to OpenAI clients as 503: 529 is Anthropic's own code. */
const CLIENT_STATUS_OVERRIDES: Readonly<Record<string, number>> = { overloaded_error: 503, api_error: 502 };

export class AnthropicStreamTranslator implements StreamTranslator {
  finished = false;
  /** Every chunk this translator makes carries part of the answer (the role rides on the first). */
  answering = false;
  readonly #clientWantsUsage: boolean;
  readonly #created: number;
  readonly #blocks = new Map<number, BlockRole>();
  #counts: UsageCounts | undefined;
  #id = '';
  #model = '';
  #toolCalls = 0;
  #answeredInJson = false;
  #rolePending = true;
  #finishSent = false;

  constructor(options: TranslateOptions, createdSeconds: number) {
    this.#clientWantsUsage = options.clientWantsUsage;
    this.#created = createdSeconds;
  }

  get usage(): TokenUsage | undefined {
    return this.#counts === undefined ? undefined : toTokenUsage(this.#counts);
  }

  /** The message_delta with the stop reason came: the answer is whole, message_stop only closes it. */
  get complete(): boolean {
    return this.#finishSent;
  }

  closeComplete(): readonly string[] {
    return this.finished ? [] : this.#messageStop();
  }

  onEvent(event: UpstreamEvent): readonly string[] {
    if (this.finished) return [];
    const data: unknown = JSON.parse(event.data);
    if (!isRecord(data)) throw new TypeError('stream event data is not an object');
    switch (data.type ?? event.event) {
      case 'message_start':
        return this.#messageStart(data.message);
      case 'content_block_start':
        return this.#blockStart(data.index, data.content_block);
      case 'content_block_delta':
        return this.#blockDelta(data.index, data.delta);
      case 'message_delta':
        return this.#messageDelta(data.delta, data.usage);
      case 'message_stop':
        return this.#messageStop();
      case 'error':
        throw streamError(data.error);
      default:
        return []; // ping, content_block_stop, and event types added after this was written
    }
  }

  #messageStart(message: unknown): string[] {
    if (!isRecord(message)) throw new TypeError('message_start without a message');
    this.#id = stringOf(message.id) ?? '';
    this.#model = stringOf(message.model) ?? '';
    this.#counts = readUsage(message.usage, this.#counts);
    return [];
  }

  #blockStart(index: unknown, block: unknown): string[] {
    if (typeof index !== 'number' || !isRecord(block)) throw new TypeError('malformed content_block_start');
    if (block.type === 'text') {
      this.#blocks.set(index, { kind: 'text' });
      const text = stringOf(block.text) ?? '';
      return text === '' ? [] : [this.#chunk({ content: text })];
    }
    if (block.type !== 'tool_use') {
      this.#blocks.set(index, { kind: 'ignored' });
      return [];
    }
    const name = stringOf(block.name) ?? '';
    if (name === STRUCTURED_OUTPUT_TOOL) {
      this.#blocks.set(index, { kind: 'json-answer' });
      this.#answeredInJson = true;
      return [];
    }
    const toolIndex = this.#toolCalls++;
    this.#blocks.set(index, { kind: 'tool-call', toolIndex });
    const id = stringOf(block.id) ?? '';
    return [
      this.#chunk({
        tool_calls: [{ index: toolIndex, id, type: 'function', function: { name, arguments: '' } }],
      }),
    ];
  }

  #blockDelta(index: unknown, delta: unknown): string[] {
    if (typeof index !== 'number' || !isRecord(delta)) throw new TypeError('malformed content_block_delta');
    const role = this.#blocks.get(index) ?? { kind: 'ignored' };
    if (delta.type === 'text_delta' && role.kind === 'text') {
      const text = stringOf(delta.text) ?? '';
      return text === '' ? [] : [this.#chunk({ content: text })];
    }
    if (delta.type !== 'input_json_delta') return [];
    const json = stringOf(delta.partial_json) ?? '';
    if (json === '') return [];
    if (role.kind === 'json-answer') return [this.#chunk({ content: json })];
    if (role.kind !== 'tool-call') return [];
    return [this.#chunk({ tool_calls: [{ index: role.toolIndex, function: { arguments: json } }] })];
  }

  #messageDelta(delta: unknown, usage: unknown): string[] {
    this.#counts = readUsage(usage, this.#counts);
    const stopReason = isRecord(delta) ? delta.stop_reason : undefined;
    return [this.#finish(stopReason)];
  }

  #messageStop(): string[] {
    this.finished = true;
    const out = this.#finishSent ? [] : [this.#finish(undefined)];
    if (this.#clientWantsUsage && this.#counts !== undefined) {
      out.push(this.#payload([], toOpenAIUsage(this.#counts)));
    }
    out.push('[DONE]');
    return out;
  }

  #finish(stopReason: unknown): string {
    this.#finishSent = true;
    return this.#chunk({}, finishReason(stopReason, this.#answeredInJson));
  }

  #chunk(delta: Record<string, unknown>, finish: string | null = null): string {
    const withRole = this.#rolePending ? { role: 'assistant', ...delta } : delta;
    this.#rolePending = false;
    this.answering = true;
    return this.#payload([{ index: 0, delta: withRole, logprobs: null, finish_reason: finish }]);
  }

  #payload(choices: object[], usage?: Record<string, unknown>): string {
    return JSON.stringify({
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model,
      choices,
      ...(usage && { usage }),
    });
  }
}

function streamError(error: unknown): UpstreamStreamError {
  const type = isRecord(error) ? (stringOf(error.type) ?? 'api_error') : 'api_error';
  const message = isRecord(error) ? (stringOf(error.message) ?? type) : type;
  const status = CLIENT_STATUS_OVERRIDES[type] ?? ANTHROPIC_ERROR_STATUS[type] ?? 502;
  return new UpstreamStreamError(`Anthropic stream error (${type}): ${message}`, type, {
    status,
    retryable: RETRYABLE_STREAM_ERRORS.has(type),
    quotaExhausted: type === 'billing_error',
    contextLengthExceeded: isAnthropicContextLengthError(type, message),
  });
}
