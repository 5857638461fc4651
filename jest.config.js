// Jest runs the TypeScript sources directly (ESM, transformed by swc); type checking is `npm run typecheck`.
// This config is the `unit` suite: everything but test/k8s, test/abuse and test/soak, no external services, so `npm run test:unit -- PATH`
// runs one folder or file. The k8s suite (a real kube-apiserver) is jest.k8s.config.js; the abuse and soak
// suites are jest.abuse.config.js and jest.soak.config.js.
export const shared = {
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
  ...shared,
  displayName: 'unit',
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: [
    '/node_modules/',
    '/.switchboard/',
    '/bench/.peers/',
    '<rootDir>/test/k8s/',
    '<rootDir>/test/abuse/',
    '<rootDir>/test/soak/',
  ],
  testTimeout: 30000,
};
