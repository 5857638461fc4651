import type { TargetEndpoint } from './adapter.ts';

/** A target endpoint for adapter tests: a local URL, model "m", no key, with `overrides` on top. */
export function testEndpoint(overrides: Partial<TargetEndpoint> = {}): TargetEndpoint {
  return {
    baseURL: 'http://127.0.0.1:1',
    model: 'm',
    apiKey: undefined,
    maxOutputTokens: undefined,
    apiVersion: undefined,
    ...overrides,
  };
}
