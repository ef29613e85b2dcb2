// ESLint flat config: @eslint/js and typescript-eslint's recommended rules, plus the type-aware
// rules that catch real bugs in this code base (promises nobody awaits, awaits of non-promises,
// casts that change nothing). Type information comes from tsconfig.json through the project
// service, so linting costs one type-check of the tree.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const nodeGlobals = {
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  __dirname: 'readonly',
  __filename: 'readonly',
  process: 'readonly',
  Buffer: 'readonly',
  console: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  setImmediate: 'readonly',
  URL: 'readonly',
};

export default defineConfig(
  {
    ignores: [
      'dist/',
      'dist-codegen/',
      'node_modules/',
      'bench/out/',
      'bench/build/',
      '.kong-prefix/',
      // Inputs of tests, kept exactly as written (some are broken on purpose).
      'test/fixtures/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // The example plugins are outside tsconfig.json (they are loaded as plugins, not built).
        projectService: { allowDefaultProject: ['examples/plugins/*.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // `_`-prefixed names are deliberately unused (destructuring to drop a key, a callback's position).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  // The one-way street of docs/architecture.md: static imports across the layer lines fail here.
  // (tool.ts reaches authoring/ and codegen/extract through on-demand import(), which this rule
  // does not see: those modules load only when their command runs.)
  {
    files: ['src/**/*.ts'],
    ignores: ['src/authoring/**', 'src/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(authoring|testing)/',
              message: 'the runtime imports nothing from src/authoring or src/testing',
            },
            { regex: '(^|/)codegen/', message: 'the runtime imports nothing from codegen/' },
            {
              regex: '^(ts-morph|typescript|handlebars|yaml)(/|$)',
              message: 'the server process never loads ts-morph, typescript, handlebars or yaml',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['codegen/**/*.ts', 'generated/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)src/', message: 'codegen/ and generated/ import nothing from src/' }] },
      ],
    },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: '.', message: 'modules in common/ import nothing, so that every side may import them' }],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', 'bin/kong-ts-pdk', 'bin/kong-ts-pluginserver'],
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },
);
