/**
 * The ProviderPool CustomResourceDefinition, built from the zod schemas (spec: providerpool.ts, status:
 * providerpool-status.ts) and the small table below (names, printer columns). `npm run crd:generate` writes it to
 * crds/providerpools.switchboard.dev.yaml; a unit test fails when that file is stale.
 */
import { API_GROUP, API_VERSION, KIND, ProviderPoolSpecSchema } from './providerpool.ts';
import { CONDITION_TYPES, ProviderPoolStatusSchema } from './providerpool-status.ts';
import { toStructuralSchema, type StructuralSchema } from './structural-schema.ts';

export const PLURAL = 'providerpools';
export const CRD_NAME = `${PLURAL}.${API_GROUP}`;

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description: string;
  /** 0: always shown; 1: only with `-o wide`. */
  readonly priority?: 0 | 1;
}

/**
 * `kubectl get providerpools`. A JSONPath column cannot count a list, so the counts come from status fields the
 * operator writes (until it has, those columns are empty rather than wrong).
 */
const ready = `.status.conditions[?(@.type=="${CONDITION_TYPES.Ready}")]`;
export const PRINTER_COLUMNS: readonly PrinterColumn[] = [
  {
    name: 'Strategy',
    type: 'string',
    jsonPath: '.spec.strategy.type',
    description: 'How a provider is picked for each request.',
  },
  {
    name: 'Providers',
    type: 'integer',
    jsonPath: '.status.providerCount',
    description: 'Providers in the pool.',
  },
  {
    name: 'Healthy',
    type: 'integer',
    jsonPath: '.status.healthyProviderCount',
    description: 'Providers in state Healthy.',
  },
  {
    name: 'Sidecars',
    type: 'integer',
    jsonPath: '.status.sidecars.connected',
    description: 'Sidecars connected to the operator.',
  },
  {
    name: 'Ready',
    type: 'string',
    jsonPath: `${ready}.status`,
    description: 'Status of the Ready condition.',
  },
  {
    name: 'Age',
    type: 'date',
    jsonPath: '.metadata.creationTimestamp',
    description: 'Time since the pool was created.',
  },
  {
    name: 'Up-To-Date',
    type: 'integer',
    jsonPath: '.status.sidecars.onCurrentVersion',
    description: 'Sidecars that applied the current configuration version.',
    priority: 1,
  },
  {
    name: 'Reason',
    type: 'string',
    jsonPath: `${ready}.reason`,
    description: 'Reason of the Ready condition.',
    priority: 1,
  },
];

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced';
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      categories: string[];
    };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: StructuralSchema };
    }[];
  };
}

/** The whole resource's schema; with a status subresource the root may only hold type, properties and required. */
export function providerPoolSchema(): StructuralSchema {
  return {
    description:
      'A pool of AI model providers that Switchboard sidecars balance requests across. ' +
      'The same manifest drives a standalone sidecar.',
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: {
        description:
          'APIVersion defines the versioned schema of this representation of an object. ' +
          'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
        type: 'string',
      },
      kind: {
        description:
          'Kind is a string value representing the REST resource this object represents. ' +
          'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
        type: 'string',
      },
      // The API server allows nothing but the type here (not even a description): it validates metadata itself.
      metadata: { type: 'object' },
      spec: toStructuralSchema(ProviderPoolSpecSchema),
      status: toStructuralSchema(ProviderPoolStatusSchema),
    },
  };
}

export function providerPoolCrd(): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: CRD_NAME,
      labels: { 'app.kubernetes.io/name': 'switchboard', 'app.kubernetes.io/part-of': 'switchboard' },
    },
    spec: {
      group: API_GROUP,
      scope: 'Namespaced',
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: KIND.toLowerCase(),
        categories: ['switchboard'],
      },
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [...PRINTER_COLUMNS],
          schema: { openAPIV3Schema: providerPoolSchema() },
        },
      ],
    },
  };
}
