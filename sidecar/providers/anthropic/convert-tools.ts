/**
 * OpenAI `tools`, `tool_choice`, `parallel_tool_calls` and `response_format` → Anthropic `tools` and
 * `tool_choice`.
 *
 * JSON mode: the Messages API has no `response_format`. A JSON answer is obtained the way Anthropic documents
 * for structured output: one tool whose input schema is the wanted JSON, and `tool_choice` forcing it. The
 * model's tool input is then the answer; the response and stream translators turn that tool call back into
 * message content (see STRUCTURED_OUTPUT_TOOL). As the tool must be forced, JSON mode cannot be combined with
 * the app's own tools.
 */
import type { AnthropicTool, AnthropicToolChoice } from './anthropic-types.ts';
import { Untranslatable } from './untranslatable.ts';
import { isRecord, stringOf } from '../../../core/json.ts';

/** Name of the tool that carries a JSON-mode answer. Reserved: an app's own tool may not use it. */
export const STRUCTURED_OUTPUT_TOOL = 'switchboard_structured_output';

const STRUCTURED_OUTPUT_DESCRIPTION =
  'Give your complete answer by calling this tool: its input is the JSON value to return.';

export interface ConvertedTools {
  readonly tools?: AnthropicTool[];
  readonly tool_choice?: AnthropicToolChoice;
}

export function convertTools(request: Readonly<Record<string, unknown>>): ConvertedTools {
  const structured = structuredOutputTool(request.response_format);
  const tools = appTools(request.tools);
  if (structured) {
    if (tools.length > 0) {
      throw new Untranslatable(
        'response_format json_object/json_schema together with tools: the Anthropic dialect implements JSON mode with a forced tool, which excludes other tools',
      );
    }
    return { tools: [structured], tool_choice: { type: 'tool', name: STRUCTURED_OUTPUT_TOOL } };
  }
  if (tools.length === 0) return {};
  const choice = toolChoice(request.tool_choice);
  if (request.parallel_tool_calls === false && choice.type !== 'none') {
    return { tools, tool_choice: { ...choice, disable_parallel_tool_use: true } };
  }
  return request.tool_choice === undefined || request.tool_choice === null
    ? { tools }
    : { tools, tool_choice: choice };
}

function appTools(value: unknown): AnthropicTool[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Untranslatable('tools must be an array');
  return value.map((tool: unknown, i): AnthropicTool => {
    const at = `tools[${i}]`;
    if (!isRecord(tool) || tool.type !== 'function' || !isRecord(tool.function)) {
      throw new Untranslatable(`${at}: only function tools have an Anthropic form`);
    }
    const name = stringOf(tool.function.name);
    if (name === undefined) throw new Untranslatable(`${at}.function.name is required`);
    if (name === STRUCTURED_OUTPUT_TOOL) throw new Untranslatable(`${at}: the tool name ${name} is reserved`);
    const description = stringOf(tool.function.description);
    return {
      name,
      ...(description === undefined ? {} : { description }),
      input_schema: objectSchema(tool.function.parameters, `${at}.function.parameters`),
    };
  });
}

/** Anthropic tool input schemas must describe an object; an absent schema means "no parameters". */
function objectSchema(schema: unknown, at: string): Record<string, unknown> {
  if (schema === undefined || schema === null) return { type: 'object', properties: {} };
  if (!isRecord(schema)) throw new Untranslatable(`${at} must be a JSON Schema object`);
  if (schema.type === undefined) return { type: 'object', ...schema };
  if (schema.type !== 'object')
    throw new Untranslatable(`${at}: Anthropic tool input must be an object schema`);
  return schema;
}

function toolChoice(value: unknown): AnthropicToolChoice {
  if (value === undefined || value === null || value === 'auto') return { type: 'auto' };
  if (value === 'none') return { type: 'none' };
  if (value === 'required') return { type: 'any' };
  if (isRecord(value) && value.type === 'function' && isRecord(value.function)) {
    const name = stringOf(value.function.name);
    if (name !== undefined) return { type: 'tool', name };
  }
  throw new Untranslatable(
    'tool_choice must be "auto", "none", "required" or a named function for the Anthropic dialect',
  );
}

function structuredOutputTool(format: unknown): AnthropicTool | undefined {
  if (format === undefined || format === null) return undefined;
  if (!isRecord(format)) throw new Untranslatable('response_format must be an object');
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return {
        name: STRUCTURED_OUTPUT_TOOL,
        description: STRUCTURED_OUTPUT_DESCRIPTION,
        input_schema: { type: 'object' },
      };
    case 'json_schema': {
      const spec = isRecord(format.json_schema) ? format.json_schema : {};
      const description = stringOf(spec.description);
      return {
        name: STRUCTURED_OUTPUT_TOOL,
        description:
          description === undefined
            ? STRUCTURED_OUTPUT_DESCRIPTION
            : `${STRUCTURED_OUTPUT_DESCRIPTION} ${description}`,
        input_schema: objectSchema(spec.schema, 'response_format.json_schema.schema'),
      };
    }
    default:
      throw new Untranslatable(`response_format type "${String(format.type)}" has no Anthropic form`);
  }
}
