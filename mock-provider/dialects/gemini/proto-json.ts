/**
 * Reading a JSON body as Google's protobuf JSON parser does: fields by their camelCase or snake_case names,
 * unknown fields and values of the wrong type refused with the parser's own messages.
 */
import { invalidPayload } from './google-errors.ts';
import { GeminiRequestError } from './gemini-request-error.ts';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A field by its JSON (camelCase) name or its proto (snake_case) name. */
export function field(object: JsonObject, name: string): unknown {
  return object[name] ?? object[snakeCase(name)];
}

/** Refuses fields the message does not have; `at` is the message's path in the request ('' at the top). */
export function refuseUnknownFields(object: JsonObject, known: readonly string[], at: string): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key) || known.some((k) => snakeCase(k) === key)) continue;
    const where = at === '' ? '' : ` at '${at}'`;
    throw new GeminiRequestError(invalidPayload(`Unknown name "${key}"${where}: Cannot find field.`));
  }
}

function wrongValue(value: unknown, at: string, protoType: string): GeminiRequestError {
  return new GeminiRequestError(
    invalidPayload(`Invalid value at '${at}' (${protoType}), ${JSON.stringify(value)}`),
  );
}

export function optionalNumber(
  object: JsonObject,
  name: string,
  at: string,
  integer = false,
): number | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || (integer && !Number.isInteger(value))) {
    throw wrongValue(value, join(at, name), integer ? 'TYPE_INT32' : 'TYPE_FLOAT');
  }
  return value;
}

export function optionalString(object: JsonObject, name: string, at: string): string | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongValue(value, join(at, name), 'TYPE_STRING');
  return value;
}

export function optionalObject(object: JsonObject, name: string, at: string): JsonObject | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    throw new GeminiRequestError(
      invalidPayload(
        `Invalid value at '${join(at, name)}', expected an object, got ${JSON.stringify(value)}`,
      ),
    );
  }
  return value;
}

export function optionalArray(object: JsonObject, name: string, at: string): unknown[] | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    throw new GeminiRequestError(
      invalidPayload(`Invalid value at '${join(at, name)}', expected a list, got ${JSON.stringify(value)}`),
    );
  }
  return value;
}

export function enumValue<T extends string>(
  object: JsonObject,
  name: string,
  at: string,
  enumType: string,
  values: readonly T[],
): T | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    throw wrongValue(value, join(at, name), enumType);
  }
  return value as T;
}

/** A path in proto (snake_case) names, as the API's messages quote them. */
export function join(at: string, name: string): string {
  return at === '' ? snakeCase(name) : `${at}.${snakeCase(name)}`;
}
