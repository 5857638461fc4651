// Soak suite: a bounded run of mixed traffic against partly degraded mock providers, with pass criteria.
import { shared } from './jest.config.js';

export default {
  ...shared,
  displayName: 'soak',
  testMatch: ['<rootDir>/test/soak/**/*.test.ts'],
  testTimeout: 600_000,
};
