/**
 * Azure's content filtering, as the mock plays it. Every chat answer carries the annotations Azure adds
 * (`prompt_filter_results` for the prompt, `content_filter_results` per choice), all "safe". Two markers in a
 * message make the mock filter like the real service: the prompt (a 400 `content_filter`), or the completion
 * (a 200 whose choice ends with `finish_reason: "content_filter"` and no content).
 */
import { isRecord } from '../../../core/json.ts';
import { formatSseEvent } from '../../../core/sse/sse-writer.ts';
import { SseParser } from '../../../core/sse/sse-parser.ts';
import type { MockJsonReply, MockReply } from '../../dialect.ts';

export const BLOCK_PROMPT_MARKER = '[mock:content-filter-prompt]';
export const BLOCK_COMPLETION_MARKER = '[mock:content-filter-completion]';

type JsonObject = Record<string, unknown>;

const SAFE = { filtered: false, severity: 'safe' };
const NOT_DETECTED = { filtered: false, detected: false };

function categories(violence: { filtered: boolean; severity: string } = SAFE): JsonObject {
  return { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence };
}

function promptFilterResults(): JsonObject[] {
  return [{ prompt_index: 0, content_filter_results: { ...categories(), jailbreak: NOT_DETECTED } }];
}

/** Azure's first stream chunk: the prompt's filter results alone, with empty id, model and object. */
function promptFilterChunk(): JsonObject {
  return {
    choices: [],
    created: 0,
    id: '',
    model: '',
    object: '',
    prompt_filter_results: promptFilterResults(),
  };
}

function completionFilterResults(): JsonObject {
  return {
    ...categories(),
    protected_material_code: NOT_DETECTED,
    protected_material_text: NOT_DETECTED,
  };
}

const BLOCKED = { filtered: true, severity: 'medium' };

/** Whether any message of a chat request contains `marker`. */
export function mentions(body: unknown, marker: string): boolean {
  if (!isRecord(body) || !Array.isArray(body.messages)) return false;
  return body.messages.some((message: unknown) => {
    if (!isRecord(message)) return false;
    const { content } = message;
    if (typeof content === 'string') return content.includes(marker);
    return (
      Array.isArray(content) &&
      content.some((p: unknown) => isRecord(p) && typeof p.text === 'string' && p.text.includes(marker))
    );
  });
}

/** The 400 Azure answers when the prompt trips the content policy. */
export function promptFiltered(): MockJsonReply {
  return {
    kind: 'json',
    status: 400,
    body: {
      error: {
        message:
          "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
        type: null,
        param: 'prompt',
        code: 'content_filter',
        status: 400,
        innererror: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_result: { ...categories(BLOCKED), jailbreak: NOT_DETECTED },
        },
      },
    },
  };
}

/** Adds Azure's annotations to an OpenAI chat answer; with `blockCompletion`, filters the completion away. */
export function annotate(reply: MockReply, blockCompletion: boolean): MockReply {
  if (reply.kind === 'json') {
    if (reply.status !== 200 || !isRecord(reply.body)) return reply;
    const choices = Array.isArray(reply.body.choices) ? reply.body.choices : [];
    return {
      ...reply,
      body: {
        ...reply.body,
        choices: choices.map((choice: unknown) => annotateChoice(choice, blockCompletion)),
        prompt_filter_results: promptFilterResults(),
      },
    };
  }
  const events = [formatSseEvent({ data: JSON.stringify(promptFilterChunk()) })];
  for (const event of reply.events.flatMap((text) => new SseParser().feed(text))) {
    if (event.data === '[DONE]') {
      events.push(formatSseEvent({ data: event.data }));
      continue;
    }
    const chunk = JSON.parse(event.data) as JsonObject;
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const annotated = choices.flatMap((choice: unknown) => streamChoice(choice, blockCompletion));
    // A filtered completion sends no content: its content chunks vanish, the others stay.
    if (choices.length > 0 && annotated.length === 0) continue;
    events.push(formatSseEvent({ data: JSON.stringify({ ...chunk, choices: annotated }) }));
  }
  return { ...reply, events };
}

function annotateChoice(choice: unknown, blockCompletion: boolean): unknown {
  if (!isRecord(choice)) return choice;
  if (!blockCompletion) return { ...choice, content_filter_results: completionFilterResults() };
  const message = isRecord(choice.message) ? choice.message : {};
  return {
    ...choice,
    message: { ...message, content: null },
    finish_reason: 'content_filter',
    content_filter_results: { ...completionFilterResults(), violence: BLOCKED },
  };
}

/** One choice of a stream chunk with its annotation; none when a filtered completion would not send it. */
function streamChoice(choice: unknown, blockCompletion: boolean): unknown[] {
  if (!isRecord(choice)) return [choice];
  const delta = isRecord(choice.delta) ? choice.delta : {};
  const carriesText = typeof delta.content === 'string' && delta.content !== '' && delta.role === undefined;
  if (choice.finish_reason != null) {
    return blockCompletion
      ? [
          {
            ...choice,
            finish_reason: 'content_filter',
            content_filter_results: { ...completionFilterResults(), violence: BLOCKED },
          },
        ]
      : [{ ...choice, content_filter_results: {} }];
  }
  if (!carriesText) return [{ ...choice, content_filter_results: {} }];
  return blockCompletion ? [] : [{ ...choice, content_filter_results: completionFilterResults() }];
}
