/** Reads a GenerationConfig, refusing unknown fields and out-of-range values as the API does. */
import {
  field,
  optionalArray,
  optionalNumber,
  optionalString,
  refuseUnknownFields,
  type JsonObject,
} from './proto-json.ts';
import { REQUEST, refuse } from './refuse-field.ts';

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
const MIME_TYPES = ['text/plain', 'application/json', 'text/x.enum'];
const MAX_STOP_SEQUENCES = 5;
const MAX_CANDIDATES = 8;

export function readGenerationConfig(config: JsonObject) {
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
