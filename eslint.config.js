import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.switchboard/', 'coverage/', 'bench/.peers/', 'dist/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: [
      'api/**/*.ts',
      'core/**/*.ts',
      'sidecar/**/*.ts',
      'operator/**/*.ts',
      'mock-provider/**/*.ts',
      'cli/**/*.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // CommonJS files (scripts/build/undici-core.cjs) load their dependencies with require().
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
