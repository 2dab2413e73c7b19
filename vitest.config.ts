import { defineConfig } from 'vitest/config';

export default defineConfig({
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
