import type { ResourceType } from './types.ts';

/** The resource types the operator talks about. */
export const providerPools: ResourceType = {
  group: 'switchboard.dev',
  version: 'v1alpha1',
  plural: 'providerpools',
  namespaced: true,
};

export const leases: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespaced: true,
};

export const configMaps: ResourceType = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };

export const secrets: ResourceType = { group: '', version: 'v1', plural: 'secrets', namespaced: true };

export const events: ResourceType = { group: '', version: 'v1', plural: 'events', namespaced: true };
