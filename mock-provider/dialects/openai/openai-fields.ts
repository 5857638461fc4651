import { invalidRequest, modelNotFound } from './openai-errors.ts';
import { OpenAiRequestError } from './openai-request-error.ts';
import type { MockRouteContext } from '../../dialect.ts';
import { isRecord } from '../../../core/json.ts';

/** Readers for request fields that refuse bad values with the API's own kind of message. */

export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) throw new OpenAiRequestError(invalidRequest('you must provide a model parameter'));
  if (!isRecord(body)) {
    throw new OpenAiRequestError(
      invalidRequest(`Invalid type for request body: expected an object, but got ${describe(body)} instead.`),
    );
  }
  return body;
}

export function requireModel(body: Record<string, unknown>, context: MockRouteContext): string {
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    throw new OpenAiRequestError(invalidRequest('you must provide a model parameter'));
  }
  if (context.strictModels && !context.models.includes(model)) {
    throw new OpenAiRequestError(modelNotFound(model));
  }
  return model;
}

export function missing(name: string): OpenAiRequestError {
  return new OpenAiRequestError(
    invalidRequest(`Missing required parameter: '${name}'.`, name, 'missing_required_parameter'),
  );
}

export function invalidType(name: string, expected: string, value: unknown): OpenAiRequestError {
  return new OpenAiRequestError(
    invalidRequest(
      `Invalid type for '${name}': expected ${expected}, but got ${describe(value)} instead.`,
      name,
      'invalid_type',
    ),
  );
}

export function invalidValue(name: string, value: unknown, supported: readonly string[]): OpenAiRequestError {
  const list = supported.map((s) => `'${s}'`);
  const words =
    list.length > 1 ? `${list.slice(0, -1).join(', ')} and ${list.at(-1) ?? ''}` : (list[0] ?? '');
  return new OpenAiRequestError(
    invalidRequest(
      `Invalid value: '${String(value)}'. Supported values are: ${words}.`,
      name,
      'invalid_value',
    ),
  );
}

/** An optional integer field with bounds; undefined (or null) when absent. */
export function optionalInteger(
  body: Record<string, unknown>,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidType(name, 'an integer', value);
  if (value < min) {
    throw new OpenAiRequestError(
      invalidRequest(
        `Invalid '${name}': integer below minimum value. Expected a value >= ${min}, but got ${value} instead.`,
        name,
        'integer_below_min_value',
      ),
    );
  }
  if (value > max) {
    throw new OpenAiRequestError(
      invalidRequest(
        `Invalid '${name}': integer above maximum value. Expected a value <= ${max}, but got ${value} instead.`,
        name,
        'integer_above_max_value',
      ),
    );
  }
  return value;
}

export function optionalBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidType(name, 'a boolean', value);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
