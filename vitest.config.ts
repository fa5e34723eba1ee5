import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Server tests start real gRPC servers on loopback; keep them from fighting over 2 cores.
    pool: 'forks',
    testTimeout: 20_000,
  },
});
