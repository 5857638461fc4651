/**
 * Reads a GenerateContentRequest, refusing what the Gemini API refuses: unknown fields, wrong types, empty
 * `contents`, bad roles, parts with no data or bad base64, function-call turns not answered by as many
 * function responses, invalid function names, out-of-range generation settings, and (for Gemini 3 models)
 * replayed function calls without a thought signature.
 */
import { googleError, invalidField, invalidPayload } from './google-errors.ts';
import { GeminiRequestError } from './gemini-request-error.ts';
import {
  enumValue,
  field,
  isObject,
  join,
  optionalArray,
  optionalNumber,
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

const REQUEST = 'GenerateContentRequest';
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
const GENERATION_FIELDS = [
  'stopSequences',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'responseModalities',
  'candidateCount',
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseLogprobs',
  'logprobs',
  'enableEnhancedCivicAnswers',
  'speechConfig',
  'thinkingConfig',
  'imageConfig',
  'mediaResolution',
];
const TOOL_FIELDS = [
  'functionDeclarations',
  'googleSearch',
  'googleSearchRetrieval',
  'codeExecution',
  'urlContext',
];
const DECLARATION_FIELDS = [
  'name',
  'description',
  'behavior',
  'parameters',
  'parametersJsonSchema',
  'response',
  'responseJsonSchema',
];
const MIME_TYPES = ['text/plain', 'application/json', 'text/x.enum'];
const MODES = ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'] as const;
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const MAX_STOP_SEQUENCES = 5;
const MAX_CANDIDATES = 8;

function refuse(path: string, problem: string): GeminiRequestError {
  return new GeminiRequestError(invalidField(path, problem));
}

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

function readGenerationConfig(config: JsonObject) {
  const at = 'generation_config';
  refuseUnknownFields(config, GENERATION_FIELDS, at);
  const temperature = optionalNumber(config, 'temperature', at);
  if (temperature !== undefined && (temperature < 0 || temperature > 2)) {
    throw refuse(`${REQUEST}.${at}.temperature`, 'temperature must be in the range [0.0, 2.0].');
  }
  const topP = optionalNumber(config, 'topP', at);
  if (topP !== undefined && (topP < 0 || topP > 1)) {
    throw refuse(`${REQUEST}.${at}.top_p`, 'top_p must be in the range [0.0, 1.0].');
  }
  const maxOutputTokens = optionalNumber(config, 'maxOutputTokens', at, true);
  if (maxOutputTokens !== undefined && maxOutputTokens < 1) {
    throw refuse(`${REQUEST}.${at}.max_output_tokens`, 'max_output_tokens must be positive.');
  }
  const candidateCount = optionalNumber(config, 'candidateCount', at, true) ?? 1;
  if (candidateCount < 1 || candidateCount > MAX_CANDIDATES) {
    throw refuse(
      `${REQUEST}.${at}.candidate_count`,
      `candidate_count must be in the range [1, ${MAX_CANDIDATES}].`,
    );
  }
  const stops = optionalArray(config, 'stopSequences', at) ?? [];
  if (stops.length > MAX_STOP_SEQUENCES || !stops.every((s) => typeof s === 'string')) {
    throw refuse(
      `${REQUEST}.${at}.stop_sequences`,
      `at most ${MAX_STOP_SEQUENCES} stop sequences are allowed.`,
    );
  }
  const responseMimeType = optionalString(config, 'responseMimeType', at) ?? 'text/plain';
  if (!MIME_TYPES.includes(responseMimeType)) {
    throw refuse(
      `${REQUEST}.${at}.response_mime_type`,
      `allowed mimetypes are ${MIME_TYPES.map((m) => `\`${m}\``).join(', ')}.`,
    );
  }
  const schema = field(config, 'responseSchema');
  const jsonSchema = field(config, 'responseJsonSchema');
  if (schema !== undefined && jsonSchema !== undefined) {
    throw refuse(
      `${REQUEST}.${at}.response_json_schema`,
      'response_json_schema and response_schema are mutually exclusive.',
    );
  }
  if ((schema !== undefined || jsonSchema !== undefined) && responseMimeType !== 'application/json') {
    throw refuse(
      `${REQUEST}.${at}.response_mime_type`,
      'response_mime_type must be `application/json` when a response schema is set.',
    );
  }
  return {
    temperature,
    maxOutputTokens,
    stopSequences: stops as string[],
    candidateCount,
    responseMimeType,
    responseSchema: schema ?? jsonSchema,
  };
}

function readTools(tools: readonly unknown[]): MockFunction[] {
  return tools.flatMap((tool, i) => {
    const at = `tools[${i}]`;
    if (!isObject(tool))
      throw new GeminiRequestError(invalidPayload(`Invalid value at '${at}', expected an object`));
    refuseUnknownFields(tool, TOOL_FIELDS, at);
    return (optionalArray(tool, 'functionDeclarations', at) ?? []).map((d, j) => {
      const where = `${join(at, 'functionDeclarations')}[${j}]`;
      if (!isObject(d))
        throw new GeminiRequestError(invalidPayload(`Invalid value at '${where}', expected an object`));
      refuseUnknownFields(d, DECLARATION_FIELDS, where);
      const name = optionalString(d, 'name', where) ?? '';
      if (!FUNCTION_NAME.test(name)) {
        throw refuse(
          `${REQUEST}.${where}.name`,
          'Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:) or dashes (-), with a maximum length of 64.',
        );
      }
      const parameters = field(d, 'parameters');
      const jsonSchema = field(d, 'parametersJsonSchema');
      if (parameters !== undefined && jsonSchema !== undefined) {
        throw refuse(
          `${REQUEST}.${where}.parameters_json_schema`,
          'parameters and parameters_json_schema are mutually exclusive.',
        );
      }
      return { name, parameters: parameters ?? jsonSchema };
    });
  });
}

function readToolConfig(
  body: JsonObject,
  functions: readonly MockFunction[],
): { mode: FunctionCallingMode; allowedFunctionNames: string[] } {
  const config = optionalObject(body, 'toolConfig', '');
  const calling = config && optionalObject(config, 'functionCallingConfig', 'tool_config');
  if (!calling) return { mode: 'AUTO', allowedFunctionNames: [] };
  const at = 'tool_config.function_calling_config';
  refuseUnknownFields(calling, ['mode', 'allowedFunctionNames'], at);
  const raw = enumValue(
    calling,
    'mode',
    at,
    'type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode',
    MODES,
  );
  const mode = raw === undefined || raw === 'MODE_UNSPECIFIED' ? 'AUTO' : raw;
  const names = optionalArray(calling, 'allowedFunctionNames', at) ?? [];
  if (names.length > 0 && mode !== 'ANY' && mode !== 'VALIDATED') {
    throw refuse(
      `${REQUEST}.${at}.allowed_function_names`,
      'allowed_function_names should only be set when the mode is ANY or VALIDATED.',
    );
  }
  for (const name of names) {
    if (typeof name !== 'string' || !functions.some((f) => f.name === name)) {
      throw refuse(
        `${REQUEST}.${at}.allowed_function_names`,
        `Function "${String(name)}" is not declared in tools.`,
      );
    }
  }
  return { mode, allowedFunctionNames: names as string[] };
}
