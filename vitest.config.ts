import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Apollo, type-graphql and graphql-scalars load graphql's CommonJS build; one copy for everyone, or
  // schemas and errors fail `instanceof` checks across the two.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    setupFiles: ['reflect-metadata'],
    pool: 'forks',
    // Integration tests start PGlite (~3 s each) and real HTTP servers.
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
