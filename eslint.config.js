// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Dependencies point one way: server → engine → (routing, resilience, providers, upstream) → core. */
const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [group], message })) }],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.bench-out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'The request path uses undici (Pool.dispatch, src/upstream).' },
      ],
    },
  },
  layer(['src/core/**'], ['../*/**', '../../*'], 'core imports nothing outside core.'),
  layer(
    ['src/providers/**', 'src/routing/**', 'src/resilience/**', 'src/upstream/**'],
    ['**/server/**', '**/engine/**'],
    'Mechanisms and providers know nothing of HTTP serving or the engine.',
  ),
  layer(['src/engine/**'], ['**/server/**'], 'The engine knows nothing of the HTTP server.'),
  layer(
    ['src/simulator/**'],
    ['**/providers/**', '**/engine/**', '**/server/**', '**/core/**', '**/config/**'],
    "The simulator is written from the providers' API references and shares nothing with the translators.",
  ),
  {
    // Tracing is optional: the OpenTelemetry SDK is imported (dynamically, by src/telemetry/tracing.ts)
    // only when the OTEL_* variables turn it on. Its own rule name, so the layer rules above still hold.
    files: ['src/**/*.ts'],
    ignores: [
      'src/telemetry/otel-sdk.ts',
      'src/telemetry/request-spans.ts',
      'src/telemetry/span-attributes.ts',
      'src/telemetry/trace-context.ts',
      '**/*.test.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@opentelemetry/*'],
              allowTypeImports: true,
              message:
                'OpenTelemetry loads only with tracing on: import it in src/telemetry/tracing.ts lazily.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/resilience/**', 'src/routing/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Inject a Clock.' },
        { object: 'Math', property: 'random', message: 'Inject a Random.' },
      ],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'Inject a Clock.' }],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-globals': 'off', 'no-restricted-properties': 'off' },
  },
);
