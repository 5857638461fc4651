/**
 * OpenAI chat messages → Gemini `systemInstruction` and `contents`.
 * - system and developer messages, wherever they stand, become the system instruction;
 * - user and tool messages become `user` turns, assistant messages `model` turns; neighbours of one role are
 *   merged into one turn, so that e.g. the answers to parallel tool calls travel together as Gemini requires;
 * - a tool message becomes a `functionResponse` named after the call it answers (Gemini matches by name).
 */
import type { GeminiContent, GeminiPart, GeminiRole } from './gemini-types.ts';
import { audioPart, filePart, imagePart } from './media-parts.ts';
import { isRecord, parseJson, stringOf } from '../../../core/json.ts';
import { UntranslatableRequest } from './untranslatable.ts';

/**
 * Gemini 3 refuses a replayed function call without the thought signature it was issued with. The sidecar keeps
 * no state between requests, so it sends the value Google documents for calls whose signature is not at hand.
 */
export const UNKNOWN_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

export interface TranslatedMessages {
  readonly systemInstruction: { parts: GeminiPart[] } | undefined;
  readonly contents: GeminiContent[];
}

export function translateMessages(messages: readonly unknown[]): TranslatedMessages {
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  const push = (role: GeminiRole, parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  messages.forEach((message, i) => {
    const where = `messages[${i}]`;
    if (!isRecord(message)) throw new UntranslatableRequest(`${where} is not an object`);
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(message.content, where));
        break;
      case 'user':
        push('user', userParts(message.content, where));
        break;
      case 'assistant':
        push('model', assistantParts(message, where, callNames));
        break;
      case 'tool':
        push('user', [toolResponsePart(message, where, callNames)]);
        break;
      default:
        throw new UntranslatableRequest(
          `${where}: role "${String(message.role)}" is not supported by the gemini dialect (use tools and tool messages)`,
        );
    }
  });
  return { systemInstruction: system.length > 0 ? { parts: system } : undefined, contents };
}

/** Text-only content (system, assistant, tool): a string or text parts. Empty text is left out. */
function textParts(content: unknown, where: string): GeminiPart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) throw new UntranslatableRequest(`${where}.content is neither text nor parts`);
  return content.flatMap((part: unknown, j): GeminiPart[] => {
    if (isRecord(part) && (part.type === 'text' || part.type === 'refusal')) {
      const text = stringOf(part.text) ?? stringOf(part.refusal) ?? '';
      return text === '' ? [] : [{ text }];
    }
    const type = isRecord(part) ? String(part.type) : typeof part;
    throw new UntranslatableRequest(
      `${where}.content[${j}]: a "${type}" part is only allowed in user messages`,
    );
  });
}

function userParts(content: unknown, where: string): GeminiPart[] {
  if (!Array.isArray(content)) return textParts(content, where);
  return content.flatMap((part: unknown, j): GeminiPart[] => {
    const at = `${where}.content[${j}]`;
    if (!isRecord(part)) throw new UntranslatableRequest(`${at} is not an object`);
    switch (part.type) {
      case 'text':
        return textParts([part], where);
      case 'image_url':
        return [imagePart(part, at)];
      case 'input_audio':
        return [audioPart(part, at)];
      case 'file':
        return [filePart(part, at)];
      default:
        throw new UntranslatableRequest(
          `${at}: "${String(part.type)}" parts are not supported by the gemini dialect`,
        );
    }
  });
}

function assistantParts(
  message: Record<string, unknown>,
  where: string,
  callNames: Map<string, string>,
): GeminiPart[] {
  if (message.function_call !== undefined && message.function_call !== null) {
    throw new UntranslatableRequest(
      `${where}: legacy function_call is not supported by the gemini dialect; use tool_calls`,
    );
  }
  const parts = textParts(message.content, where);
  const calls = message.tool_calls ?? [];
  if (!Array.isArray(calls)) throw new UntranslatableRequest(`${where}.tool_calls is not an array`);
  calls.forEach((call: unknown, k) => {
    const at = `${where}.tool_calls[${k}]`;
    const fn = isRecord(call) && isRecord(call.function) ? call.function : undefined;
    const name = stringOf(fn?.name);
    if (!isRecord(call) || name === undefined || (call.type !== undefined && call.type !== 'function')) {
      throw new UntranslatableRequest(
        `${at}: only function tool calls with a name are supported by the gemini dialect`,
      );
    }
    const id = stringOf(call.id);
    if (id !== undefined) callNames.set(id, name);
    const part: GeminiPart = { functionCall: { name, args: callArguments(fn?.arguments, at) } };
    // Gemini wants the signature on the first function call of each model turn.
    parts.push(k === 0 ? { ...part, thoughtSignature: UNKNOWN_THOUGHT_SIGNATURE } : part);
  });
  return parts;
}

function callArguments(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined || value === null || value === '') return {};
  const parsed = typeof value === 'string' ? parseJson(value) : value;
  if (!isRecord(parsed)) {
    throw new UntranslatableRequest(
      `${where}.function.arguments must be a JSON object for the gemini dialect`,
    );
  }
  return parsed;
}

function toolResponsePart(
  message: Record<string, unknown>,
  where: string,
  callNames: ReadonlyMap<string, string>,
): GeminiPart {
  const id = stringOf(message.tool_call_id);
  const name = id === undefined ? undefined : callNames.get(id);
  if (name === undefined) {
    throw new UntranslatableRequest(
      `${where}: tool_call_id ${JSON.stringify(id ?? null)} matches no earlier assistant tool call, and Gemini needs the function's name`,
    );
  }
  const text = textParts(message.content, where)
    .map((p) => p.text ?? '')
    .join('');
  // A JSON object result is handed over as the object; anything else as {"output": text}, Gemini's convention.
  const parsed = parseJson(text);
  return { functionResponse: { name, response: isRecord(parsed) ? parsed : { output: text } } };
}
