import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-tools backup suite needs root, an image and servers: npm run test:backup.
    exclude: ['test/backup/**', 'node_modules/**'],
    // Server tests start real gRPC servers on loopback; keep them from fighting over 2 cores.
    pool: 'forks',
    testTimeout: 20_000,
  },
});
