/**
 * Turns a zod schema into a Kubernetes structural schema, the form a CustomResourceDefinition's openAPIV3Schema
 * must take: every node has a `type`; no `$ref`, `anyOf`, `$schema` or `additionalProperties: false` (the API
 * server prunes unknown fields instead); OpenAPI 3.0 `exclusiveMinimum` booleans; `x-kubernetes-*` extensions from
 * the `kubernetes(...)` metadata on the zod schema (see kubernetes-meta.ts).
 *
 * The conversion is strict: a keyword it does not know is an error, not something copied through, so a schema
 * change that the CRD cannot express fails the generator rather than producing a CRD the API server refuses.
 */
import * as z from 'zod';
import { KUBERNETES_META_KEY, KubernetesMetaSchema, type CelRule } from './kubernetes-meta.ts';

export const STRUCTURAL_TYPES = ['object', 'array', 'string', 'integer', 'number', 'boolean'] as const;

/** The subset of JSONSchemaProps the generated CRD uses. */
export interface StructuralSchema {
  description?: string;
  type: (typeof STRUCTURAL_TYPES)[number];
  format?: string;
  enum?: (string | number)[];
  default?: unknown;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maximum?: number;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  items?: StructuralSchema;
  required?: string[];
  properties?: Record<string, StructuralSchema>;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: CelRule[];
}

/** Key order in the output, so the YAML reads top-down: what a field is, its bounds, then its children. */
const KEY_ORDER: readonly (keyof StructuralSchema)[] = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'items',
  'required',
  'properties',
  'x-kubernetes-validations',
];

/** Keywords copied as they are (after a type check). */
const COPIED = new Set<string>([
  'description',
  'format',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'exclusiveMinimum',
  'exclusiveMaximum',
]);

/** The keyword set of a structural node, for checks of the final output (tests, the generator's self-check). */
export const STRUCTURAL_KEYWORDS: ReadonlySet<string> = new Set(KEY_ORDER);

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export class StructuralSchemaError extends Error {
  constructor(path: string, problem: string) {
    super(`${path || '(root)'}: ${problem}`);
    this.name = 'StructuralSchemaError';
  }
}

/** The structural schema of what a zod schema accepts as input (defaults included, as the API server applies them). */
export function toStructuralSchema(schema: z.ZodType): StructuralSchema {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'throw',
    cycles: 'throw',
    reused: 'inline',
  });
  return convert(json, '');
}

function convert(node: unknown, path: string): StructuralSchema {
  if (!isRecord(node)) throw new StructuralSchemaError(path, 'not a schema object');
  const type = node.type;
  if (!STRUCTURAL_TYPES.some((t) => t === type))
    throw new StructuralSchemaError(
      path,
      `every node needs one type of ${STRUCTURAL_TYPES.join(', ')} (got ${JSON.stringify(type)}); ` +
        'unions, $ref and untyped nodes cannot be expressed',
    );
  const out: Json = { type };
  for (const [key, value] of Object.entries(node)) {
    if (key === 'type') continue;
    if (COPIED.has(key)) {
      out[key] = value;
    } else if (key === 'properties') {
      if (!isRecord(value)) throw new StructuralSchemaError(path, 'properties is not an object');
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, convert(child, `${path}.${name}`)]),
      );
    } else if (key === 'items') {
      out.items = convert(value, `${path}[]`);
    } else if (key === 'required') {
      out.required = value;
    } else if (key === 'additionalProperties') {
      // zod's strict objects: Kubernetes prunes unknown fields (and kubectl's strict field validation reports
      // them), and a structural schema may not combine properties with additionalProperties.
      if (value !== false) throw new StructuralSchemaError(path, 'additionalProperties other than false');
    } else if (key === KUBERNETES_META_KEY) {
      applyKubernetesMeta(out, value, path);
    } else {
      throw new StructuralSchemaError(path, `keyword "${key}" has no structural-schema equivalent`);
    }
  }
  // zod describes a date-time twice (format and a long regex); the API server checks the format itself.
  if (out.format === 'date-time') delete out.pattern;
  // The API server checks `uri` with Go's url.ParseRequestURI, which is not what zod's URL check (WHATWG) accepts,
  // and its error stops the CEL rules from running. A URL field says what it accepts with a CEL rule instead.
  if (out.format === 'uri') {
    if (out['x-kubernetes-validations'] === undefined)
      throw new StructuralSchemaError(path, 'a URL field needs a CEL rule saying which URLs it accepts');
    delete out.format;
  }
  // `kubectl explain` shows descriptions but not defaults.
  const fallback = out.default;
  if (typeof out.description === 'string' && ['string', 'number', 'boolean'].includes(typeof fallback))
    out.description = `${out.description} Default: ${String(fallback)}.`;
  // JSON Schema 2019+ style numeric exclusive bounds, should a zod version emit them: OpenAPI 3.0 uses booleans.
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    const value = out[exclusive];
    if (typeof value === 'number') {
      out[bound] = value;
      out[exclusive] = true;
    }
  }
  // An object's default ({} from zod's prefault) is validated by the API server as it stands, without the
  // defaults of its fields, so CEL rules on the object would see missing fields. Spell the fields' defaults out:
  // the same object the API server ends up storing, as the defaulting of `{}` fills them in top-down.
  if (out.type === 'object' && out.default !== undefined) out.default = withFieldDefaults(out.default, out);
  return ordered(out, path);
}

function withFieldDefaults(value: unknown, schema: Json): unknown {
  if (!isRecord(value) || !isRecord(schema.properties)) return value;
  const filled: Json = { ...value };
  for (const [name, child] of Object.entries(schema.properties)) {
    if (!isRecord(child)) continue;
    if (filled[name] === undefined && child.default !== undefined) filled[name] = child.default;
    if (filled[name] !== undefined) filled[name] = withFieldDefaults(filled[name], child);
  }
  return filled;
}

function applyKubernetesMeta(out: Json, raw: unknown, path: string): void {
  const meta = KubernetesMetaSchema.parse(raw);
  if (meta.validations) out['x-kubernetes-validations'] = meta.validations;
  if (meta.listMapKeys) {
    out['x-kubernetes-list-type'] = 'map';
    out['x-kubernetes-list-map-keys'] = meta.listMapKeys;
  }
  for (const bound of ['maxItems', 'maxLength'] as const) {
    const value = meta[bound];
    if (value === undefined) continue;
    if (out[bound] !== undefined)
      throw new StructuralSchemaError(
        path,
        `${bound} is in the zod schema already; drop the cluster-only one`,
      );
    out[bound] = value;
  }
}

function ordered(node: Json, path: string): StructuralSchema {
  const unknown = Object.keys(node).filter((k) => !STRUCTURAL_KEYWORDS.has(k));
  if (unknown.length > 0) throw new StructuralSchemaError(path, `unexpected keywords ${unknown.join(', ')}`);
  const out: Json = {};
  for (const key of KEY_ORDER) if (node[key] !== undefined) out[key] = node[key];
  // Every key was checked above, so this is the StructuralSchema shape.
  return out as unknown as StructuralSchema;
}

/** Visits every node of a structural schema with its path (`.spec.providers[].weight`). */
export function walk(
  schema: StructuralSchema,
  visit: (node: StructuralSchema, path: string) => void,
  path = '',
): void {
  visit(schema, path);
  for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, visit, `${path}.${name}`);
  if (schema.items) walk(schema.items, visit, `${path}[]`);
}

/**
 * What the API server (and `kubectl explain`) needs of every node, checked on a schema read back from anywhere
 * (the committed YAML included): one problem per line, empty when the schema is fine.
 */
export function structuralProblems(schema: unknown): string[] {
  const problems: string[] = [];
  const check = (node: unknown, path: string): void => {
    const at = path || '(root)';
    if (!isRecord(node)) {
      problems.push(`${at}: not a schema object`);
      return;
    }
    for (const key of Object.keys(node))
      if (!STRUCTURAL_KEYWORDS.has(key)) problems.push(`${at}: forbidden keyword "${key}"`);
    if (!STRUCTURAL_TYPES.some((t) => t === node.type)) problems.push(`${at}: no type`);
    if ((typeof node.description !== 'string' || node.description.trim() === '') && path !== '.metadata')
      problems.push(`${at}: no description`);
    for (const exclusive of ['exclusiveMinimum', 'exclusiveMaximum'] as const)
      if (node[exclusive] !== undefined && typeof node[exclusive] !== 'boolean')
        problems.push(`${at}: ${exclusive} must be a boolean (OpenAPI 3.0)`);
    // An object's fields must be declared (or the API server prunes them). The root's metadata is the exception:
    // the API server validates it itself and refuses a schema (or a description) for it.
    if (node.type === 'object' && !isRecord(node.properties) && path !== '.metadata')
      problems.push(`${at}: an object without properties (everything in it would be pruned)`);
    if (node.type === 'array' && !isRecord(node.items)) problems.push(`${at}: an array without items`);
    if (node['x-kubernetes-list-type'] === 'map') {
      const keys = node['x-kubernetes-list-map-keys'];
      const items = isRecord(node.items) ? node.items : {};
      const required = Array.isArray(items.required) ? items.required : [];
      if (!Array.isArray(keys) || keys.length === 0) problems.push(`${at}: a map list without map keys`);
      else
        for (const key of keys)
          if (!required.includes(key))
            problems.push(`${at}: map key "${String(key)}" is not required in items`);
    }
    const rules = node['x-kubernetes-validations'];
    if (rules !== undefined) {
      if (!Array.isArray(rules)) problems.push(`${at}: x-kubernetes-validations is not a list`);
      else
        for (const rule of rules)
          if (!isRecord(rule) || typeof rule.message !== 'string' || rule.message === '')
            problems.push(`${at}: a CEL rule without a message`);
    }
    if (isRecord(node.properties))
      for (const [name, child] of Object.entries(node.properties)) check(child, `${path}.${name}`);
    if (node.items !== undefined) check(node.items, `${path}[]`);
  };
  check(schema, '');
  return problems;
}
