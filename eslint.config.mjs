// ESLint 9 flat config: @eslint/js and typescript-eslint's type-checked rules over the
// TypeScript (typed through the root tsconfig.json, which includes every package's src and
// test), the recommended JavaScript rules over the few plain scripts. `pnpm lint` says which
// folders it runs on (scripts/lint.sh).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/dist/', '**/node_modules/', 'compose/', 'coverage/', '.bench/'] },
  // An eslint-disable comment that no longer silences anything is an error: each must mean something.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `const { DROPPED: _x, ...rest } = o` leaves names out of a copy on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `import fs = require('node:fs/promises')` is TypeScript's way to import a module object itself.
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      // As only-throw-error allows by default: a value typed any or unknown (an AbortSignal's
      // reason, a caught error) is passed on as it came; a literal that is no Error is still refused.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
    },
  },
  {
    files: ['**/*.test.ts'],
    rules: {
      // Jest's asymmetric matchers (expect.stringContaining(), expect.any()) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
);
