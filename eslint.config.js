// Flat config (typescript-eslint's recommended set, React hooks rules for web/).
import js from '@eslint/js';
import globals from 'globals';
import i18next from 'eslint-plugin-i18next';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.data/**', 'test-results/**', 'playwright-report/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    // Every word the app shows goes through i18next (web/src/i18n): text in JSX, and the props that
    // carry words to a person (labels, titles, hints, placeholders).
    files: ['web/src/**/*.tsx'],
    plugins: { i18next },
    rules: {
      'i18next/no-literal-string': [
        'error',
        {
          mode: 'jsx-only',
          'jsx-attributes': { include: ['aria-label', 'title', 'placeholder', 'alt', 'label', 'what', 'hint', 'confirmLabel', 'description', 'heading'] },
          // The plugin's own (digits and punctuation, CONSTANTS), and the signs that are not words.
          words: { exclude: ['[0-9!-/:-@[-`{-~]+', '[A-Z_-]+', /^\p{Emoji}+$/u, '[▾▴▸…·•×✓—–\\s]+'] },
        },
      ],
    },
  },
  {
    // Tests read loosely typed JSON answers; scripts and CLIs talk to a terminal.
    files: ['**/*.test.ts', '**/testing/**', 'e2e/**', 'bench/**', '**/scripts/**', '**/examples/**', '.ci/**', 'server/src/db/cli.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-console': 'off' },
  },
);
