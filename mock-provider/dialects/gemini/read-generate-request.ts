/**
 * Reads a GenerateContentRequest, refusing what the Gemini API refuses: unknown fields, wrong types, empty
 * `contents`, bad roles, parts with no data or bad base64, function-call turns not answered by as many
 * function responses, invalid function names, out-of-range generation settings, and (for Gemini 3 models)
 * replayed function calls without a thought signature.
 */
import { googleError, invalidPayload } from './google-errors.ts';
import { GeminiRequestError } from './gemini-request-error.ts';
import { readGenerationConfig } from './read-generation-config.ts';
import { readToolConfig, readTools } from './read-tools.ts';
import { REQUEST, refuse } from './refuse-field.ts';
import {
  field,
  isObject,
  join,
  optionalArray,
  optionalObject,
  optionalString,
  refuseUnknownFields,
  type JsonObject,
} from './proto-json.ts';

export interface MockPart {
  readonly text?: string;
  readonly functionCall?: { readonly name: string; readonly args: JsonObject };
  readonly functionResponse?: { readonly name: string; readonly response: JsonObject };
  readonly thoughtSignature?: string;
}

export interface MockContent {
  readonly role: 'user' | 'model';
  readonly parts: readonly MockPart[];
}

export interface MockFunction {
  readonly name: string;
  /** Its parameters, as JSON Schema or as the API's OpenAPI subset. */
  readonly parameters: unknown;
}

export type FunctionCallingMode = 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED';

export interface GenerateRequest {
  readonly contents: readonly MockContent[];
  readonly systemText: string;
  readonly temperature: number | undefined;
  readonly maxOutputTokens: number | undefined;
  readonly stopSequences: readonly string[];
  readonly candidateCount: number;
  readonly responseMimeType: string;
  readonly responseSchema: unknown;
  readonly functions: readonly MockFunction[];
  readonly mode: FunctionCallingMode;
  readonly allowedFunctionNames: readonly string[];
}

const REQUEST_FIELDS = [
  'model',
  'contents',
  'systemInstruction',
  'generationConfig',
  'tools',
  'toolConfig',
  'safetySettings',
  'cachedContent',
];
const CONTENT_FIELDS = ['role', 'parts'];
const DATA_FIELDS = [
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'executableCode',
  'codeExecutionResult',
];
const PART_FIELDS = [...DATA_FIELDS, 'thought', 'thoughtSignature', 'videoMetadata', 'partMetadata'];
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function readGenerateRequest(body: unknown, model: string): GenerateRequest {
  if (!isObject(body)) throw refuse(`${REQUEST}.contents`, 'contents is not specified');
  refuseUnknownFields(body, REQUEST_FIELDS, '');
  const rawContents = optionalArray(body, 'contents', '') ?? [];
  if (rawContents.length === 0) throw refuse(`${REQUEST}.contents`, 'contents is not specified');
  const contents = rawContents.map((c, i) => readContent(c, `contents[${i}]`));
  checkFunctionTurns(contents, model);
  const system = optionalObject(body, 'systemInstruction', '');
  const systemText = system
    ? readContent(system, 'system_instruction')
        .parts.map((p) => p.text ?? '')
        .join('\n')
    : '';
  const config = optionalObject(body, 'generationConfig', '') ?? {};
  const functions = readTools(optionalArray(body, 'tools', '') ?? []);
  const { mode, allowedFunctionNames } = readToolConfig(body, functions);
  return { contents, systemText, functions, mode, allowedFunctionNames, ...readGenerationConfig(config) };
}

function readContent(value: unknown, at: string): MockContent {
  if (!isObject(value))
    throw new GeminiRequestError(invalidPayload(`Invalid value at '${at}', expected an object`));
  refuseUnknownFields(value, CONTENT_FIELDS, at);
  const role = field(value, 'role') ?? 'user';
  if (role !== 'user' && role !== 'model') {
    throw new GeminiRequestError(googleError('INVALID_ARGUMENT', 'Please use a valid role: user, model.'));
  }
  const rawParts = optionalArray(value, 'parts', at) ?? [];
  if (rawParts.length === 0) throw refuse(`${REQUEST}.${at}.parts`, 'contents.parts must not be empty.');
  return { role, parts: rawParts.map((p, j) => readPart(p, `${at}.parts[${j}]`)) };
}

function readPart(value: unknown, at: string): MockPart {
  if (!isObject(value))
    throw new GeminiRequestError(invalidPayload(`Invalid value at '${at}', expected an object`));
  refuseUnknownFields(value, PART_FIELDS, at);
  const data = DATA_FIELDS.filter((name) => field(value, name) !== undefined);
  if (data.length !== 1) {
    throw refuse(`${REQUEST}.${at}.data`, "required oneof field 'data' must have one initialized field");
  }
  const thoughtSignature = optionalString(value, 'thoughtSignature', at);
  const signed = thoughtSignature === undefined ? {} : { thoughtSignature };
  const text = optionalString(value, 'text', at);
  if (text !== undefined) return { text, ...signed };
  const inline = optionalObject(value, 'inlineData', at);
  if (inline) {
    refuseUnknownFields(inline, ['mimeType', 'data'], join(at, 'inlineData'));
    if (optionalString(inline, 'mimeType', join(at, 'inlineData')) === undefined) {
      throw refuse(`${REQUEST}.${join(at, 'inlineData')}.mime_type`, 'mime_type is not specified');
    }
    const bytes = optionalString(inline, 'data', join(at, 'inlineData')) ?? '';
    if (!BASE64.test(bytes)) {
      throw new GeminiRequestError(
        invalidPayload(
          `Invalid value at '${join(join(at, 'inlineData'), 'data')}' (TYPE_BYTES), Base64 decoding failed`,
        ),
      );
    }
    return { ...signed };
  }
  const call = optionalObject(value, 'functionCall', at);
  if (call) {
    const name = optionalString(call, 'name', join(at, 'functionCall'));
    if (name === undefined || name === '')
      throw refuse(`${REQUEST}.${join(at, 'functionCall')}.name`, 'Name is empty.');
    return {
      functionCall: { name, args: optionalObject(call, 'args', join(at, 'functionCall')) ?? {} },
      ...signed,
    };
  }
  const response = optionalObject(value, 'functionResponse', at);
  if (response) {
    const where = join(at, 'functionResponse');
    const name = optionalString(response, 'name', where);
    if (name === undefined || name === '') throw refuse(`${REQUEST}.${where}.name`, 'Name is empty.');
    return { functionResponse: { name, response: optionalObject(response, 'response', where) ?? {} } };
  }
  return { ...signed };
}

/**
 * Each model turn that calls functions must be answered by a turn with as many function responses; Gemini 3
 * models also want the thought signature back on the first call of each such turn.
 */
function checkFunctionTurns(contents: readonly MockContent[], model: string): void {
  contents.forEach((content, i) => {
    const calls = content.parts.filter((p) => p.functionCall);
    if (content.role !== 'model' || calls.length === 0) return;
    if (model.startsWith('gemini-3') && calls[0]?.thoughtSignature === undefined) {
      throw new GeminiRequestError(
        googleError(
          'INVALID_ARGUMENT',
          `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${calls[0]?.functionCall?.name ?? ''}\` , position ${i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
        ),
      );
    }
    const next = contents[i + 1];
    if (next === undefined) return;
    const responses = next.parts.filter((p) => p.functionResponse).length;
    if (responses !== calls.length) {
      throw new GeminiRequestError(
        googleError(
          'INVALID_ARGUMENT',
          'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.',
        ),
      );
    }
  });
}
