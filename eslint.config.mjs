// Lint: typescript-eslint's recommended rules with type information, plus the conventions in the
// design notes that a rule can check (no `any`, only shared/run.ts exits the process).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['build/', 'dist/', 'krew/out/', 'node_modules/', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Async implementations of async interfaces (fake clocks, stubs) need no await.
      '@typescript-eslint/require-await': 'off',
      // Terminal escapes are matched on purpose.
      'no-control-regex': 'off',
      // TypeScript checks names; this rule does not know Node's or the DOM's globals.
      'no-undef': 'off',
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'only shared/run.ts exits the process' }],
    },
  },
  { files: ['shared/run.ts', 'test/**', 'bench/**', 'scripts/**', 'krew/**'], rules: { 'no-restricted-properties': 'off' } },
  { files: ['**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
