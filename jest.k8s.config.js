// Tests against a real kube-apiserver, which the global setup builds (once) and starts: see scripts/cluster/.
import { shared } from './jest.config.js';

export default {
  ...shared,
  displayName: 'k8s',
  testMatch: ['<rootDir>/test/k8s/**/*.test.ts'],
  globalSetup: '<rootDir>/test/k8s/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/k8s/support/global-teardown.ts',
  testTimeout: 60000,
};
