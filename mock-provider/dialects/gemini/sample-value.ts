/**
 * A deterministic value that fits a schema (JSON Schema, or the API's OpenAPI subset with upper-case types), so
 * the mock's function-call arguments and JSON answers are valid for what the request declared.
 */
import { isObject } from './proto-json.ts';

const MAX_DEPTH = 8;

function typeOf(schema: Record<string, unknown>): string | undefined {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (typeof type === 'string') return type.toLowerCase();
  if (isObject(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

/** `text` fills string fields. */
export function sampleValue(schema: unknown, text: string, depth = 0): unknown {
  if (!isObject(schema) || depth > MAX_DEPTH) return text;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants) && variants.length > 0) return sampleValue(variants[0], text, depth + 1);
  switch (typeOf(schema)) {
    case 'object': {
      const properties = isObject(schema.properties) ? schema.properties : {};
      return Object.fromEntries(
        Object.entries(properties).map(([name, property]) => [name, sampleValue(property, text, depth + 1)]),
      );
    }
    case 'array':
      return [sampleValue(schema.items, text, depth + 1)];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return text;
  }
}
