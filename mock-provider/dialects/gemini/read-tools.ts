/** Reads `tools` (function declarations) and `toolConfig.functionCallingConfig` as the API checks them. */
import { invalidPayload } from './google-errors.ts';
import { GeminiRequestError } from './gemini-request-error.ts';
import {
  enumValue,
  field,
  isObject,
  join,
  optionalArray,
  optionalObject,
  optionalString,
  refuseUnknownFields,
  type JsonObject,
} from './proto-json.ts';
import type { FunctionCallingMode, MockFunction } from './read-generate-request.ts';
import { REQUEST, refuse } from './refuse-field.ts';

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
const MODES = ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'] as const;
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

export function readTools(tools: readonly unknown[]): MockFunction[] {
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

export function readToolConfig(
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
