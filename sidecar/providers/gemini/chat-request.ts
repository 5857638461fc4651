/**
 * An OpenAI chat completion request → a Gemini GenerateContentRequest. Throws UntranslatableRequest for what the
 * dialect cannot express; fields with no effect on the answer (user, metadata, store, …) are dropped.
 */
import type { TargetEndpoint } from '../adapter.ts';
import { translateMessages } from './chat-messages.ts';
import type {
  GeminiFunctionCallingMode,
  GeminiFunctionDeclaration,
  GeminiGenerateContentRequest,
  GeminiGenerationConfig,
  GeminiToolConfig,
} from './gemini-types.ts';
import { isRecord, numberOf, stringOf } from '../../../core/json.ts';
import { UntranslatableRequest } from './untranslatable.ts';

type ChatRequest = Readonly<Record<string, unknown>>;

/** Fields that ask for something Gemini's answer cannot carry back in OpenAI form, and why. */
const UNTRANSLATABLE_FIELDS: readonly { field: string; isSet: (v: unknown) => boolean; reason: string }[] = [
  { field: 'logprobs', isSet: (v) => v === true, reason: 'logprobs are not supported by the gemini dialect' },
  {
    field: 'top_logprobs',
    isSet: (v) => v !== undefined && v !== null,
    reason: 'top_logprobs are not supported by the gemini dialect',
  },
  {
    field: 'logit_bias',
    isSet: (v) => isRecord(v) && Object.keys(v).length > 0,
    reason: 'logit_bias is not supported by the gemini dialect',
  },
  {
    field: 'modalities',
    isSet: (v) => Array.isArray(v) && v.some((m) => m !== 'text'),
    reason: 'only text output is supported by the gemini dialect',
  },
  {
    field: 'audio',
    isSet: (v) => v !== undefined && v !== null,
    reason: 'audio output is not supported by the gemini dialect',
  },
  {
    field: 'prediction',
    isSet: (v) => v !== undefined && v !== null,
    reason: 'predicted outputs are not supported by the gemini dialect',
  },
  {
    field: 'web_search_options',
    isSet: (v) => v !== undefined && v !== null,
    reason: 'web search is not supported by the gemini dialect',
  },
  {
    field: 'functions',
    isSet: (v) => v !== undefined && v !== null,
    reason: 'legacy functions are not supported by the gemini dialect; use tools',
  },
  {
    field: 'function_call',
    isSet: (v) => v !== undefined && v !== null,
    reason: 'legacy function_call is not supported by the gemini dialect; use tool_choice',
  },
];

export function translateChatRequest(
  request: ChatRequest,
  target: TargetEndpoint,
): GeminiGenerateContentRequest {
  for (const { field, isSet, reason } of UNTRANSLATABLE_FIELDS) {
    if (isSet(request[field])) throw new UntranslatableRequest(reason);
  }
  const messages = Array.isArray(request.messages) ? request.messages : [];
  const { systemInstruction, contents } = translateMessages(messages);
  if (contents.length === 0) {
    throw new UntranslatableRequest('Gemini needs at least one user or assistant message with content');
  }
  const generationConfig = translateGenerationConfig(request, target);
  const declarations = translateTools(request.tools);
  const choice = declarations.length > 0 ? translateToolChoice(request.tool_choice, declarations) : undefined;
  const tools = choice?.declarations ?? declarations;
  return {
    contents,
    ...(systemInstruction && { systemInstruction }),
    ...(Object.keys(generationConfig).length > 0 && { generationConfig }),
    ...(tools.length > 0 && { tools: [{ functionDeclarations: tools }] }),
    ...(choice && { toolConfig: choice.config }),
  };
}

function translateGenerationConfig(request: ChatRequest, target: TargetEndpoint): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  const set = <K extends keyof GeminiGenerationConfig>(
    key: K,
    value: GeminiGenerationConfig[K] | undefined,
  ) => {
    if (value !== undefined) config[key] = value;
  };
  set('temperature', numberOf(request.temperature));
  set('topP', numberOf(request.top_p));
  set(
    'maxOutputTokens',
    numberOf(request.max_completion_tokens) ?? numberOf(request.max_tokens) ?? target.maxOutputTokens,
  );
  set('stopSequences', stopSequences(request.stop));
  const n = numberOf(request.n);
  if (n !== undefined && n !== 1) set('candidateCount', n);
  set('presencePenalty', numberOf(request.presence_penalty));
  set('frequencyPenalty', numberOf(request.frequency_penalty));
  set('seed', numberOf(request.seed));
  Object.assign(config, responseFormat(request.response_format));
  return config;
}

function stopSequences(stop: unknown): string[] | undefined {
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop)) {
    const sequences = stop.filter((s): s is string => typeof s === 'string');
    return sequences.length > 0 ? sequences : undefined;
  }
  return undefined;
}

function responseFormat(format: unknown): GeminiGenerationConfig {
  if (!isRecord(format) || format.type === 'text') return {};
  if (format.type === 'json_object') return { responseMimeType: 'application/json' };
  if (format.type === 'json_schema') {
    const schema = isRecord(format.json_schema) ? format.json_schema.schema : undefined;
    // The API's JSON-Schema field takes the schema as it is, so nothing of it is lost in translation.
    return schema === undefined
      ? { responseMimeType: 'application/json' }
      : { responseMimeType: 'application/json', responseJsonSchema: schema };
  }
  throw new UntranslatableRequest(
    `response_format "${String(format.type)}" is not supported by the gemini dialect`,
  );
}

function translateTools(tools: unknown): GeminiFunctionDeclaration[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw new UntranslatableRequest('tools is not an array');
  return tools.map((tool: unknown, i) => {
    const fn =
      isRecord(tool) && tool.type === 'function' && isRecord(tool.function) ? tool.function : undefined;
    const name = stringOf(fn?.name);
    if (fn === undefined || name === undefined) {
      const type = isRecord(tool) ? String(tool.type) : typeof tool;
      throw new UntranslatableRequest(`tools[${i}]: "${type}" tools are not supported by the gemini dialect`);
    }
    const description = stringOf(fn.description);
    return {
      name,
      ...(description !== undefined && { description }),
      ...(fn.parameters !== undefined && fn.parameters !== null && { parametersJsonSchema: fn.parameters }),
    };
  });
}

const MODES: Readonly<Record<string, GeminiFunctionCallingMode>> = {
  auto: 'AUTO',
  none: 'NONE',
  required: 'ANY',
};

/**
 * `tool_choice` → `functionCallingConfig`. Gemini allows a list of function names only with mode ANY, so
 * `allowed_tools` in auto mode is expressed by declaring only the allowed functions.
 */
function translateToolChoice(
  choice: unknown,
  declarations: GeminiFunctionDeclaration[],
): { config: GeminiToolConfig; declarations: GeminiFunctionDeclaration[] } | undefined {
  if (choice === undefined || choice === null) return undefined;
  const known = (name: string) => {
    if (!declarations.some((d) => d.name === name)) {
      throw new UntranslatableRequest(`tool_choice names "${name}", which is not among the tools`);
    }
    return name;
  };
  if (typeof choice === 'string') {
    const mode = MODES[choice];
    if (mode === undefined) throw new UntranslatableRequest(`tool_choice "${choice}" is not supported`);
    return { config: { functionCallingConfig: { mode } }, declarations };
  }
  if (isRecord(choice) && choice.type === 'function') {
    const name = known(stringOf(isRecord(choice.function) ? choice.function.name : undefined) ?? '');
    return { config: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [name] } }, declarations };
  }
  if (isRecord(choice) && choice.type === 'allowed_tools' && isRecord(choice.allowed_tools)) {
    const { mode, tools } = choice.allowed_tools;
    const names = (Array.isArray(tools) ? tools : []).map((t: unknown) =>
      known(stringOf(isRecord(t) && isRecord(t.function) ? t.function.name : undefined) ?? ''),
    );
    const allowed = declarations.filter((d) => names.includes(d.name));
    if (mode === 'required') {
      return {
        config: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: names } },
        declarations: allowed,
      };
    }
    if (mode === 'auto')
      return { config: { functionCallingConfig: { mode: 'AUTO' } }, declarations: allowed };
  }
  throw new UntranslatableRequest('this tool_choice is not supported by the gemini dialect');
}
