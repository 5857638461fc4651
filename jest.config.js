// Jest runs the TypeScript sources directly (ESM, transformed by swc); type checking is `npm run typecheck`.
// Two projects: `unit` (everything but test/k8s, no external services) and `k8s` (tests against a real
// kube-apiserver, which the global setup builds and starts: see scripts/cluster/).
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
};

export default {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/.switchboard/', '<rootDir>/test/k8s/'],
      testTimeout: 30000,
    },
    {
      ...shared,
      displayName: 'k8s',
      testMatch: ['<rootDir>/test/k8s/**/*.test.ts'],
      globalSetup: '<rootDir>/test/k8s/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/k8s/support/global-teardown.ts',
      testTimeout: 60000,
    },
  ],
};
