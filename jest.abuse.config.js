// Abuse suite: bad input, SSRF, key canaries, slow clients and connection floods against a real sidecar and mocks.
import { shared } from './jest.config.js';

export default {
  ...shared,
  displayName: 'abuse',
  testMatch: ['<rootDir>/test/abuse/**/*.test.ts'],
  testTimeout: 180_000,
};
