/**
 * What the mock model answers a GenerateContentRequest, per candidate:
 * - after function responses: a text naming what each function returned;
 * - with functions declared and calling not off: a call when the mode is ANY, or when the last user turn names a
 *   declared function (AUTO), with arguments sampled from its schema;
 * - otherwise the mock's echo text, as JSON fitting `responseSchema` in JSON mode;
 * then cut at the first stop sequence, and at `maxOutputTokens` (finish reason MAX_TOKENS).
 */
import type { MockRouteContext } from '../../dialect.ts';
import { mockReplyText } from '../../reply-text.ts';
import { estimateTokens, truncateToTokens } from '../../text-tokens.ts';
import type { GenerateRequest, MockContent, MockFunction } from './read-generate-request.ts';
import { sampleValue } from './sample-value.ts';

export interface CandidateAnswer {
  /** Parts of the answer; a text answer is split for streaming by the caller. */
  readonly text: string | undefined;
  readonly functionCalls: readonly { name: string; args: unknown }[];
  readonly finishReason: 'STOP' | 'MAX_TOKENS';
  readonly tokens: number;
}

export function answer(request: GenerateRequest, context: MockRouteContext): CandidateAnswer {
  const last = request.contents.at(-1);
  const call = last && functionToCall(request, last);
  if (call !== undefined) {
    const args = sampleValue(call.parameters ?? { type: 'object' }, 'mock');
    return {
      text: undefined,
      functionCalls: [{ name: call.name, args }],
      finishReason: 'STOP',
      tokens: estimateTokens(call.name + JSON.stringify(args)),
    };
  }
  let text = replyText(request, context, last);
  if (request.responseMimeType === 'application/json') {
    text = JSON.stringify(
      request.responseSchema === undefined ? { reply: text } : sampleValue(request.responseSchema, text),
    );
  }
  for (const stop of request.stopSequences) {
    const at = stop === '' ? -1 : text.indexOf(stop);
    if (at >= 0) text = text.slice(0, at);
  }
  let finishReason: CandidateAnswer['finishReason'] = 'STOP';
  if (request.maxOutputTokens !== undefined) {
    const cut = truncateToTokens(text, request.maxOutputTokens);
    text = cut.text;
    if (cut.truncated) finishReason = 'MAX_TOKENS';
  }
  return { text, functionCalls: [], finishReason, tokens: estimateTokens(text) };
}

function userText(content: MockContent | undefined): string {
  return content?.role === 'user' ? content.parts.map((p) => p.text ?? '').join('') : '';
}

function replyText(
  request: GenerateRequest,
  context: MockRouteContext,
  last: MockContent | undefined,
): string {
  const results =
    last?.role === 'user' ? last.parts.flatMap((p) => (p.functionResponse ? [p.functionResponse] : [])) : [];
  if (results.length === 0 || context.behaviour.replyText !== null) {
    const prompt = [...request.contents].reverse().find((c) => userText(c) !== '');
    return mockReplyText(context.providerName, context.behaviour, userText(prompt));
  }
  const said = results.map((r) => `${r.name} returned ${JSON.stringify(r.response)}`).join('; ');
  return `Hello from ${context.providerName}. ${said}.`;
}

function functionToCall(request: GenerateRequest, last: MockContent): MockFunction | undefined {
  if (request.functions.length === 0 || request.mode === 'NONE' || last.role !== 'user') return undefined;
  if (last.parts.some((p) => p.functionResponse)) return undefined;
  const allowed =
    request.allowedFunctionNames.length > 0
      ? request.functions.filter((f) => request.allowedFunctionNames.includes(f.name))
      : request.functions;
  const prompt = userText(last);
  const named = allowed.find((f) => prompt.includes(f.name));
  return request.mode === 'ANY' ? (named ?? allowed[0]) : named;
}

/** Prompt tokens: every text of the request, as the mock counts them. */
export function promptTokens(request: GenerateRequest): number {
  const texts = request.contents.flatMap((c) =>
    c.parts.map((p) => p.text ?? JSON.stringify(p.functionCall ?? p.functionResponse ?? '')),
  );
  return estimateTokens([request.systemText, ...texts].join('\n')) + request.contents.length;
}
