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
    // What the sidecar bundle is built from (scripts/build/build-sidecar.ts). zod's `z` is a namespace object: a
    // named import of it makes esbuild keep all of zod (its ~40 locales, JSON Schema conversion, …), ~430 KB more
    // source that V8 holds in memory in every sidecar; with `import * as z` it keeps what the code uses.
    files: ['api/**/*.ts', 'core/**/*.ts', 'sidecar/**/*.ts', 'cli/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='zod'][importKind='value'] > ImportSpecifier[imported.name='z'][importKind='value'], ImportDeclaration[source.value='zod'][importKind='value'] > ImportDefaultSpecifier",
          message: "import * as z from 'zod': the named import puts all of zod into the sidecar bundle",
        },
      ],
    },
  },
  {
    // CommonJS files (scripts/build/undici-core.cjs) load their dependencies with require().
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
