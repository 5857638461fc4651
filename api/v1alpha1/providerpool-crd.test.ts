import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CHART_CRD_FILE, CRD_FILE, renderCrd } from '../../scripts/crd/render.ts';
import { kubernetes } from './kubernetes-meta.ts';
import { ProviderPoolSpecSchema } from './providerpool.ts';
import { PRINTER_COLUMNS, providerPoolCrd, type CustomResourceDefinition } from './providerpool-crd.ts';
import { ProviderPoolStatusSchema } from './providerpool-status.ts';
import { structuralProblems, toStructuralSchema, walk, type StructuralSchema } from './structural-schema.ts';

async function committedCrd(): Promise<CustomResourceDefinition> {
  return parseYaml(await readFile(CRD_FILE, 'utf8')) as CustomResourceDefinition;
}

function rootSchema(crd: CustomResourceDefinition): StructuralSchema {
  const version = crd.spec.versions[0];
  if (!version) throw new Error('the CRD has no version');
  return version.schema.openAPIV3Schema;
}

/** The node at a path such as `.spec.providers[].weight`, or undefined. */
function nodeAt(schema: StructuralSchema, path: string): StructuralSchema | undefined {
  let found: StructuralSchema | undefined;
  walk(schema, (node, at) => {
    if (at === path) found = node;
  });
  return found;
}

describe('the committed CRD', () => {
  it('is what the generator writes (when this fails: npm run crd:generate, then review the diff)', async () => {
    expect(await readFile(CRD_FILE, 'utf8')).toBe(await renderCrd());
  });

  it("the Helm chart's copy is what the generator writes too, the same manifest under its own header", async () => {
    const chartCopy = await readFile(CHART_CRD_FILE, 'utf8');
    expect(chartCopy).toBe(await renderCrd(CHART_CRD_FILE));
    expect(parseYaml(chartCopy)).toEqual(await committedCrd());
  });

  it('is structural on every node: a type, a description, no forbidden keyword', async () => {
    expect(structuralProblems(rootSchema(await committedCrd()))).toEqual([]);
  });

  it('keeps the spec and status of the zod schemas (same fields, same required ones)', async () => {
    const root = rootSchema(await committedCrd());
    const spec = root.properties?.spec;
    const status = root.properties?.status;
    expect(Object.keys(spec?.properties ?? {}).sort()).toEqual(
      Object.keys(ProviderPoolSpecSchema.shape).sort(),
    );
    expect(Object.keys(status?.properties ?? {}).sort()).toEqual(
      Object.keys(ProviderPoolStatusSchema.shape).sort(),
    );
    expect(spec?.required).toEqual(['providers']);
    expect(root.required).toEqual(['spec']);
  });
});

describe('the Kubernetes rules of the CRD', () => {
  const root = rootSchema(providerPoolCrd());
  const messagesAt = (path: string) =>
    (nodeAt(root, path)?.['x-kubernetes-validations'] ?? []).map((rule) => rule.message);

  it.each([
    ['an env API key is forbidden in a cluster', '.spec.providers[].apiKey', 'apiKey.env is for standalone'],
    ['a cluster API key needs a secretKeyRef', '.spec.providers[].apiKey', 'apiKey.secretKeyRef is required'],
    [
      'a base URL is http(s) with a host',
      '.spec.providers[].baseURL',
      'baseURL must be an http:// or https://',
    ],
    ['not every weight may be 0', '.spec.providers', 'all weights are 0'],
    ['every logical model has a provider that takes traffic', '.spec.providers', 'every logical model needs'],
    ['the breaker backoff cap is not below its base', '.spec.breaker', 'breaker.maxBackoffMs must be ≥'],
  ])('%s (a CEL rule at %s)', (_sentence, path, message) => {
    expect(messagesAt(path)).toContainEqual(expect.stringContaining(message));
  });

  it.each([
    ['providers are keyed by name', '.spec.providers', 'name'],
    ['logical models of a provider are keyed by name', '.spec.providers[].models', 'name'],
    ['conditions are keyed by type', '.status.conditions', 'type'],
    ['provider observations are keyed by name', '.status.providers', 'name'],
  ])('%s (a map list at %s)', (_sentence, path, key) => {
    const node = nodeAt(root, path);
    expect(node?.['x-kubernetes-list-type']).toBe('map');
    expect(node?.['x-kubernetes-list-map-keys']).toEqual([key]);
  });

  it.each([
    ['the list every model rule iterates over', '.spec.providers', 'maxItems', 64],
    ['the models of a provider (cluster-only bound)', '.spec.providers[].models', 'maxItems', 64],
    ['a base URL (cluster-only bound)', '.spec.providers[].baseURL', 'maxLength', 2048],
  ] as const)(
    'bounds %s, so the API server can estimate the rules’ cost',
    (_sentence, path, bound, value) => {
      expect(nodeAt(root, path)?.[bound]).toBe(value);
    },
  );

  it('bounds every list and string a CEL rule reads', () => {
    // The rules read providers, their models and names, and the base URL.
    for (const path of ['.spec.providers', '.spec.providers[].models'])
      expect(nodeAt(root, path)?.maxItems).toBeDefined();
    for (const path of ['.spec.providers[].models[].name', '.spec.providers[].baseURL'])
      expect(nodeAt(root, path)?.maxLength).toBeDefined();
  });

  it.each(
    PRINTER_COLUMNS.filter((c) => !c.jsonPath.startsWith('.metadata.')).map((c) => [c.name, c.jsonPath]),
  )('the printer column %s reads a field the schema declares (%s)', (_name, jsonPath) => {
    const path = jsonPath.replace(/\[\?\(@\.[^)]*\)\]/g, '[]');
    expect(nodeAt(root, path)).toBeDefined();
  });

  it('fills in the same defaults as zod, spelled out in object defaults', () => {
    const strategy = nodeAt(root, '.spec.strategy');
    expect(strategy?.default).toEqual(ProviderPoolSpecSchema.shape.strategy.parse(undefined));
    const breaker = nodeAt(root, '.spec.breaker');
    expect(breaker?.default).toEqual(ProviderPoolSpecSchema.shape.breaker.parse(undefined));
    expect(nodeAt(root, '.spec.providers[].weight')?.default).toBe(1);
  });
});

describe('converting a zod schema to a structural schema', () => {
  const convert = (schema: z.ZodType) => toStructuralSchema(schema);

  it.each<[string, z.ZodType, StructuralSchema]>([
    [
      'a strict object drops additionalProperties: false (the API server prunes unknown fields instead)',
      z.strictObject({ a: z.string().describe('A.') }).describe('O.'),
      {
        description: 'O.',
        type: 'object',
        required: ['a'],
        properties: { a: { description: 'A.', type: 'string' } },
      },
    ],
    [
      'an exclusive bound becomes an OpenAPI 3.0 boolean next to the bound',
      z.number().gt(0).max(1).describe('N.'),
      { description: 'N.', type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 1 },
    ],
    [
      'an object default spells out the defaults of its fields, which the description of a scalar names',
      z
        .strictObject({ n: z.number().default(3).describe('N.') })
        .prefault({})
        .describe('O.'),
      {
        description: 'O.',
        type: 'object',
        default: { n: 3 },
        properties: { n: { description: 'N. Default: 3.', type: 'number', default: 3 } },
      },
    ],
    [
      'kubernetes() metadata becomes a map list with CEL rules and a cluster-only bound',
      z
        .array(z.strictObject({ name: z.string().max(8).describe('K.') }).describe('I.'))
        .describe('L.')
        .meta(
          kubernetes({
            listMapKeys: ['name'],
            maxItems: 4,
            validations: [{ rule: 'self.size() > 0', message: 'L must not be empty' }],
          }),
        ),
      {
        description: 'L.',
        type: 'array',
        maxItems: 4,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: {
          description: 'I.',
          type: 'object',
          required: ['name'],
          properties: { name: { description: 'K.', type: 'string', maxLength: 8 } },
        },
        'x-kubernetes-validations': [{ rule: 'self.size() > 0', message: 'L must not be empty' }],
      },
    ],
    [
      'a date-time keeps its format and loses zod’s equivalent regex',
      z.iso.datetime().describe('T.'),
      { description: 'T.', type: 'string', format: 'date-time' },
    ],
    [
      'a URL with a CEL rule leaves the check to the rule',
      z
        .url()
        .describe('U.')
        .meta(kubernetes({ validations: [{ rule: 'isURL(self)', message: 'U must be a URL' }] })),
      {
        description: 'U.',
        type: 'string',
        'x-kubernetes-validations': [{ rule: 'isURL(self)', message: 'U must be a URL' }],
      },
    ],
  ])('%s', (_sentence, schema, expected) => {
    expect(convert(schema)).toEqual(expected);
  });

  it.each<[string, z.ZodType, RegExp]>([
    ['a union has no single type', z.union([z.string(), z.number()]), /every node needs one type/],
    ['a record cannot be pruned field by field', z.record(z.string(), z.string()), /additionalProperties/],
    [
      'a cluster-only bound cannot shadow zod’s own',
      z
        .array(z.string())
        .max(3)
        .meta(kubernetes({ maxItems: 4 })),
      /maxItems is in the zod schema already/,
    ],
    ['a URL without a CEL rule would go unchecked', z.url(), /a URL field needs a CEL rule/],
    ['an unknown value has no type', z.unknown(), /every node needs one type/],
    [
      'a tuple is not a list of one kind of item',
      z.tuple([z.string(), z.number()]),
      /\[\]: every node needs one type/,
    ],
  ])('refuses what a CRD cannot express: %s', (_sentence, schema, error) => {
    expect(() => convert(schema)).toThrow(error);
  });

  it('leaves zod’s own parsing alone: a standalone pool may still read its key from the environment', () => {
    const spec = ProviderPoolSpecSchema.parse({
      providers: [
        {
          name: 'p',
          type: 'openai',
          baseURL: 'http://127.0.0.1:9001/v1',
          apiKey: { env: 'OPENAI_API_KEY' },
          models: [{ name: 'chat', model: 'gpt-4o-mini' }],
        },
      ],
    });
    expect(spec.providers[0]?.apiKey).toEqual({ env: 'OPENAI_API_KEY' });
  });
});

describe('the structural check', () => {
  const leaf = { description: 'S.', type: 'string' };
  it.each<[string, unknown, string]>([
    ['a node without a type', { description: 'X.' }, '(root): no type'],
    ['a field without a description', { ...leaf, description: undefined }, '(root): no description'],
    [
      'additionalProperties next to properties',
      { description: 'O.', type: 'object', properties: { a: leaf }, additionalProperties: false },
      '(root): forbidden keyword "additionalProperties"',
    ],
    ['a $ref', { ...leaf, $ref: '#/definitions/x' }, '(root): forbidden keyword "$ref"'],
    [
      'a numeric exclusiveMinimum',
      { description: 'N.', type: 'number', exclusiveMinimum: 0 },
      '(root): exclusiveMinimum must be a boolean (OpenAPI 3.0)',
    ],
    [
      'a map list keyed by a field its items may leave out',
      {
        description: 'L.',
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: { description: 'I.', type: 'object', properties: { name: leaf } },
      },
      '(root): map key "name" is not required in items',
    ],
    [
      'a CEL rule without a message',
      { ...leaf, 'x-kubernetes-validations': [{ rule: 'true' }] },
      '(root): a CEL rule without a message',
    ],
    [
      'a nested field without a description, named by its path',
      { description: 'O.', type: 'object', properties: { a: { type: 'string' } } },
      '.a: no description',
    ],
  ])('reports %s', (_sentence, schema, problem) => {
    expect(structuralProblems(schema)).toContain(problem);
  });
});
